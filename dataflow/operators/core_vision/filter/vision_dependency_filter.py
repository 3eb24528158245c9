"""VisionDependencyFilter: a QA that the model answers from the article alone does not need the image."""

from __future__ import annotations

from typing import Any

from dataflow.core.operator import require_columns
from dataflow.core.registry import OPERATOR_REGISTRY
from dataflow.core.serving import DEFAULT_SYSTEM_PROMPT
from dataflow.operators.core_vision.filter.verdicts import QualityOperator, qa_reason, row_reason
from dataflow.prompts.context_vqa import BLIND_QA_PROMPT
from dataflow.step.operator import ModelOperator
from dataflow.text.match import TokenIndex, answer_in, text_tokens


@OPERATOR_REGISTRY.register()
class VisionDependencyFilter(QualityOperator, ModelOperator):
    """Ask the model each question with the article but without the image; flag what it still answers.

    SK-VQA found about 9% of its questions answerable from the article alone; such a pair teaches
    a VLM nothing about looking. A QA whose blind answer contains the reference answer (on whole
    words, after the same normalising as ``ContextVQAFilter``) is ``answerable_without_image``.

    Args:
        serving: any serving (vLLM, transformers, API); it gets text-only conversations.
        drop: remove such QAs (a row left with none is rejected); by default they are kept and
            annotated.
        prompt_template: the question prompt, with ``{context}`` and ``{question}``.
        system_prompt, chunk_size, force_recompute, show_progress: as ``PromptedVQAGenerator``'s.

    Input columns:
        ``input_key``: ``{context, qas}`` records (null rows pass through untouched).
    Output columns:
        ``output_key``: the record, each QA with ``answerable_without_image`` (true / false / null
        when the check failed) and ``blind_answer``; with ``drop=True`` without the flagged QAs.
        ``{output_key}_reasons``: ``"qa[i]: answerable_without_image"``, ``"qa[i]: blind_check_failed"``.

    Example:
        >>> VisionDependencyFilter(serving).run(storage.step(), input_key="context_vqa_filtered")
    """

    def __init__(
        self,
        serving: Any,
        drop: bool = False,
        prompt_template: str = BLIND_QA_PROMPT,
        system_prompt: str = DEFAULT_SYSTEM_PROMPT,
        *,
        chunk_size: int = 64,
        force_recompute: bool = False,
        show_progress: bool = True,
    ):
        if serving is None:
            raise ValueError("VisionDependencyFilter needs a serving, e.g. LocalModelVLMServing_vllm(...)")
        if "{question}" not in prompt_template or "{context}" not in prompt_template:
            raise ValueError("The 'prompt_template' parameter must contain {context} and {question}.")
        self.serving = serving
        self.drop = drop
        self.prompt_template = prompt_template
        self.system_prompt = system_prompt
        self.chunk_size = chunk_size
        self.force_recompute = force_recompute
        self.show_progress = show_progress

    @staticmethod
    def get_desc(lang: str = "zh") -> str:
        if lang == "zh":
            return "不给图片、只给文章，让模型回答每个问题；能答对的问答对不依赖图像，予以标注（drop=True 时删除）。"
        return (
            "Asks the model each question with the article but without the image; QAs it still answers "
            "correctly do not need the image and are flagged (drop=True removes them)."
        )

    # -- model work ------------------------------------------------------------------------------
    @staticmethod
    def _qas(record: Any) -> list[dict]:
        if not isinstance(record, dict) or not isinstance(record.get("qas"), list):
            return []
        return [qa if isinstance(qa, dict) else {} for qa in record["qas"]]

    def _ask(self, records: list[Any]) -> list[dict]:
        """Blind answers for every QA of ``records``: one ``{"blind": [...], "errors": [...]}`` per record."""
        conversations, owners = [], []
        for r, record in enumerate(records):
            context = record.get("context", "") if isinstance(record, dict) else ""
            for qa in self._qas(record):
                prompt = self.prompt_template.format(context=context, question=str(qa.get("question", "")))
                conversations.append([{"role": "user", "content": prompt}])
                owners.append(r)
        results = self.serve(conversations=conversations, system_prompt=self.system_prompt)
        out = [{"blind": [], "errors": []} for _ in records]
        for r, result in zip(owners, results):
            out[r]["blind"].append(result.text if result.error is None else "")
            out[r]["errors"].append(result.error)
        return out

    def _verdict(self, record: Any, answers: dict) -> tuple[Any, list[str]]:
        if not isinstance(record, dict):
            return record, []
        qas = self._qas(record)
        reasons, annotated = [], []
        for k, (qa, blind, error) in enumerate(zip(qas, answers["blind"], answers["errors"])):
            if error is not None:
                flag = None
                reasons.append(qa_reason(k, "blind_check_failed"))
            else:
                flag = answer_in(TokenIndex(text_tokens(blind)), str(qa.get("answer", "")))
                if flag:
                    reasons.append(qa_reason(k, "answerable_without_image"))
            annotated.append({**qa, "answerable_without_image": flag, "blind_answer": blind})
        if self.drop:
            annotated = [qa for qa in annotated if not qa["answerable_without_image"]]
            if not annotated:
                return None, reasons + [row_reason("no_qa_left")]
        return {**record, "qas": annotated}, reasons

    # -- batch and step --------------------------------------------------------------------------
    def process(self, frame: Any, input_key: str = "context_vqa_filtered", output_key: str = "context_vqa_vision") -> Any:
        """Return a copy of ``frame`` (every row) with ``output_key`` and ``{output_key}_reasons``."""
        require_columns(frame, [input_key], type(self).__name__)
        records = frame[input_key].tolist()
        return self._assemble(frame, records, self._ask(records), output_key)

    def _assemble(self, frame: Any, records: list, answers: list[dict], output_key: str) -> Any:
        verdicts = [self._verdict(record, a) for record, a in zip(records, answers)]
        out = frame.copy()
        out[output_key] = [v[0] for v in verdicts]
        out[f"{output_key}_reasons"] = [v[1] for v in verdicts]
        return out

    def figures(self, totals: Any, reasons: Any) -> str:
        return (f", answerable without the image {reasons.get('qa: answerable_without_image', 0)}, "
                f"checks failed {reasons.get('qa: blind_check_failed', 0)}")
