"""WikiQARefiner: raw "article + QA pairs" text -> structured ``{context, qas}``."""

from __future__ import annotations

import logging
import time
from typing import Any

from dataflow.core.operator import OperatorABC, require_columns
from dataflow.text.wikiqa.parser import parse_wiki_qa
from dataflow.step.durable import DurableStep
from dataflow.core.registry import OPERATOR_REGISTRY

logger = logging.getLogger(__name__)


@OPERATOR_REGISTRY.register()
class WikiQARefiner(OperatorABC):
    """Parse a model's Wikipedia-style article and question/answer pairs into structured records.

    Input columns:
        ``input_key``: the raw model output (a string; anything else gives an empty result).
    Output columns:
        ``output_key``: ``{"context": str, "qas": [{"question": str, "answer": str}, ...]}``.
        Rows whose generation failed (empty text) get ``{"context": "", "qas": []}``.

    Example:
        >>> WikiQARefiner().run(storage.step(), input_key="vqa", output_key="context_vqa")
    """

    def __init__(self) -> None:
        pass

    @staticmethod
    def get_desc(lang: str = "zh") -> str:
        if lang == "zh":
            return (
                "该算子将模型输出的维基百科风格文章与问答对解析为结构化数据 {context, qas}。\n"
                "输入参数：input_key（原始文本列，默认 'text'）；输出参数：output_key（默认 'parsed'）。\n"
                "纯 CPU 处理，不需要模型；对任何输入都不会报错。"
            )
        return (
            "Parses a model's Wikipedia-style article plus question/answer pairs into {context, qas}.\n"
            "Input: input_key (raw text column, default 'text'); output: output_key (default 'parsed').\n"
            "CPU only, no model; never raises on any input."
        )

    def process(self, frame: Any, input_key: str = "text", output_key: str = "parsed") -> Any:
        """Return a copy of ``frame`` with ``output_key`` parsed from ``input_key``."""
        require_columns(frame, [input_key], type(self).__name__)
        out = frame.copy()
        out[output_key] = [parse_wiki_qa(text) for text in frame[input_key].tolist()]
        return out

    def run(self, storage: Any, input_key: str = "text", output_key: str = "parsed") -> str:
        """Read the current step, parse ``input_key`` into ``output_key``, write the next step.

        Through ``DurableStep``: the step file is locked while written, and reused when it was
        verifiably made from the same input.
        """
        started = time.perf_counter()
        settings = {"version": 1, "input_key": input_key, "output_key": output_key}
        with DurableStep(storage, type(self).__name__, settings) as step:
            require_columns(step.frame, [input_key], type(self).__name__)
            if step.reuse():
                return output_key
            out = self.process(step.frame, input_key=input_key, output_key=output_key)
            path = step.write(out)
        with_pairs = sum(1 for r in out[output_key] if r["qas"])
        logger.info(
            "WikiQARefiner: %d rows parsed, %d with QA pairs, %d without, %.2fs -> %s",
            len(out), with_pairs, len(out) - with_pairs, time.perf_counter() - started, path,
        )
        return output_key
