"""WikiQARefiner: raw "article + QA pairs" text -> structured ``{context, qas}``."""

from __future__ import annotations

from collections import Counter
from typing import Any

from dataflow.core.operator import require_columns
from dataflow.core.registry import OPERATOR_REGISTRY
from dataflow.step.operator import StepOperator
from dataflow.text.wikiqa.parser import parse_wiki_qa


@OPERATOR_REGISTRY.register()
class WikiQARefiner(StepOperator):
    """Parse a model's Wikipedia-style article and question/answer pairs into structured records.

    Input columns:
        ``input_key``: the raw model output (a string; anything else gives an empty result).
    Output columns:
        ``output_key``: ``{"context": str, "qas": [{"question": str, "answer": str}, ...]}``.
        Rows whose generation failed (empty text) get ``{"context": "", "qas": []}``.

    Example:
        >>> WikiQARefiner().run(storage.step(), input_key="vqa", output_key="context_vqa")
    """

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

    def tally(self, records: list[dict], keys: dict) -> Counter:
        key = keys["output_key"]
        return Counter(rows=len(records), with_pairs=sum(1 for r in records if (r.get(key) or {}).get("qas")))

    def describe(self, totals: Counter, keys: dict) -> str:
        rows, with_pairs = totals["rows"], totals["with_pairs"]
        return f"{rows} rows parsed, {with_pairs} with QA pairs, {rows - with_pairs} without"
