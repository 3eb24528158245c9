"""ContextVQAFilter: SK-VQA's context filters and more, per QA, with a reason for everything removed."""

from __future__ import annotations

from typing import Any

from dataflow.core.operator import require_columns
from dataflow.text.image_reference import RULES, find_image_reference
from dataflow.operators.core_vision.filter.verdicts import QualityOperator, qa_reason, row_reason
from dataflow.utils.runtime import gc_paused
from dataflow.core.registry import OPERATOR_REGISTRY
from dataflow.text.match import TokenIndex, answer_in, normal_texts, strip_article_text

_ANSWER_RULES = ("qa", "row", None)
_UNUSABLE = {"invalid_qa", "empty_question", "empty_answer"}


def _qas(record: dict) -> list:
    qas = record.get("qas")
    return qas if isinstance(qas, list) else []


def _qa_texts(qa: Any) -> tuple[Any, Any]:
    return (qa.get("question"), qa.get("answer")) if isinstance(qa, dict) else (None, None)


@OPERATOR_REGISTRY.register()
class ContextVQAFilter(QualityOperator):
    """Keep the ContextVQA records and QA pairs that are usable for training; say why for the rest.

    Every check can be switched off (``None`` / ``False``) or tuned.

    Args:
        min_context_words: a context with fewer words is rejected (``short_context``); default 50.
        image_reference: ``"phrase"`` (default) rejects an article that points at the picture
            ("this image", "the image shows", "in the picture", "the photo", "pictured above", ...);
            ``"word"`` is SK-VQA's stricter rule (any mention of image/photo/picture/painting).
        answer_in_context: ``"qa"`` (default) drops each QA whose answer is not in the context on
            whole words after normalising (case, punctuation, articles, NFKC, "1,200" = "1200",
            "twelve" = "12"); ``"row"`` is SK-VQA's row rule (keep the row when at least one answer
            is in the context, and all of its QAs).
        max_answer_words: an answer with more words is dropped (``answer_too_long``); default 20.
        reject_answer_in_question: drop a QA whose question contains its own answer.
        reject_duplicate_questions: drop a question repeated in the row (the first is kept).

    Input columns:
        ``input_key``: ``{"context": str, "qas": [{"question", "answer"}, ...]}`` (WikiQARefiner's).
    Output columns:
        ``output_key``: the record with only the QAs that pass, or null when the row is rejected.
        ``{output_key}_reasons``: reason codes, e.g. ``"qa[2]: answer_not_in_context"``,
        ``"row: image_reference"``; ``[]`` for a clean row.

    Example:
        >>> ContextVQAFilter().run(storage.step(), input_key="context_vqa", output_key="context_vqa_filtered")
    """

    def __init__(
        self,
        min_context_words: int | None = 50,
        image_reference: str | None = "phrase",
        answer_in_context: str | None = "qa",
        max_answer_words: int | None = 20,
        reject_answer_in_question: bool = True,
        reject_duplicate_questions: bool = True,
    ):
        if image_reference is not None and image_reference not in RULES:
            raise ValueError(
                f"The 'image_reference' parameter must be one of {sorted(RULES)} or None. Got {image_reference!r} instead."
            )
        if answer_in_context not in _ANSWER_RULES:
            raise ValueError(
                f"The 'answer_in_context' parameter must be 'qa', 'row' or None. Got {answer_in_context!r} instead."
            )
        self.min_context_words = min_context_words
        self.image_reference = image_reference
        self.answer_in_context = answer_in_context
        self.max_answer_words = max_answer_words
        self.reject_answer_in_question = reject_answer_in_question
        self.reject_duplicate_questions = reject_duplicate_questions

    @staticmethod
    def get_desc(lang: str = "zh") -> str:
        if lang == "zh":
            return (
                "按 SK-VQA 的规则过滤 ContextVQA 数据：文章过短、文章提及图片本身、答案不在文章中、答案过长、"
                "问题包含答案、重复问题。每行保留所有记录，并给出被删除问答对的原因。"
            )
        return (
            "Filters ContextVQA records with SK-VQA's rules and more: short articles, articles that refer to the "
            "image, answers not in the article, long answers, questions containing their answer, repeated "
            "questions. Keeps every row and gives a reason for everything removed."
        )

    # -- records ---------------------------------------------------------------------------------
    def check(self, record: Any) -> tuple[dict | None, list[str]]:
        """The filtered record (None when rejected) and the reasons, for one ``{context, qas}`` cell."""
        return self.check_many([record])[0]

    def check_many(self, records: list[Any]) -> list[tuple[dict | None, list[str]]]:
        """``check`` of each record."""
        with gc_paused():
            return [self._judge(record) for record in records]

    def _judge(self, record: Any) -> tuple[dict | None, list[str]]:
        if not isinstance(record, dict):
            return None, [row_reason("invalid_record")]
        context = record.get("context")
        if not isinstance(context, str) and context is not None:
            return None, [row_reason("invalid_record")]
        qas = _qas(record)
        normal = normal_texts([context, *(t for qa in qas for t in _qa_texts(qa))])
        index = TokenIndex(joined=normal[0])
        words = index.word_count
        if not words:
            return None, [row_reason("empty_context")]
        reasons: list[str] = []
        if self.min_context_words is not None and words < self.min_context_words:
            reasons.append(row_reason("short_context"))
        if self.image_reference and find_image_reference(context, self.image_reference):
            reasons.append(row_reason("image_reference"))
        rejected = bool(reasons)

        kept: list[dict] = []
        seen_questions: set[str] = set()
        any_answer_in_context = False
        for k, qa in enumerate(qas):
            qa_reasons = self._check_qa(qa, normal[1 + 2 * k], normal[2 + 2 * k], index, seen_questions)
            if not qa_reasons:
                any_answer_in_context = True
                kept.append(qa)
                continue
            if "answer_not_in_context" not in qa_reasons and _UNUSABLE.isdisjoint(qa_reasons):
                any_answer_in_context = True
            if self.answer_in_context == "row":  # SK-VQA: judged once per row, below
                qa_reasons = [r for r in qa_reasons if r != "answer_not_in_context"]
            reasons.extend(qa_reason(k, r) for r in qa_reasons)
            if not qa_reasons:
                kept.append(qa)
        if self.answer_in_context == "row" and kept and not any_answer_in_context:
            reasons.append(row_reason("answer_not_in_context"))
            kept, rejected = [], True
        if not kept:
            reasons.append(row_reason("no_qa_left"))
            rejected = True
        if rejected:
            return None, reasons
        return {**record, "qas": kept}, reasons

    def _check_qa(self, qa: Any, question: str, answer: str, index: TokenIndex, seen_questions: set) -> list[str]:
        # Texts in normal_text's form (" w1 w2 "): whole-word tests are substring tests.
        if not isinstance(qa, dict):
            return ["invalid_qa"]
        short_answer = strip_article_text(answer)
        empty = ([] if question.strip() else ["empty_question"]) + ([] if answer.strip() else ["empty_answer"])
        if empty:
            return empty
        reasons = []
        if self.reject_duplicate_questions:
            if question in seen_questions:
                reasons.append("duplicate_question")
            seen_questions.add(question)
        if self.answer_in_context is not None and not answer_in(index, qa["answer"], short_answer):
            reasons.append("answer_not_in_context")
        if self.max_answer_words is not None and answer.count(" ") - 1 > self.max_answer_words:
            reasons.append("answer_too_long")
        if self.reject_answer_in_question and short_answer in question:
            reasons.append("answer_in_question")
        return reasons

    # -- batch and step --------------------------------------------------------------------------
    def process(self, frame: Any, input_key: str = "context_vqa", output_key: str = "context_vqa_filtered") -> Any:
        """Return a copy of ``frame`` (every row) with ``output_key`` and ``{output_key}_reasons``."""
        require_columns(frame, [input_key], type(self).__name__)
        with gc_paused():
            verdicts = self.check_many(frame[input_key].tolist())
            out = frame.copy()
            out[output_key] = [v[0] for v in verdicts]
            out[f"{output_key}_reasons"] = [v[1] for v in verdicts]
        return out

    def figures(self, totals: Any, reasons: Any) -> str:
        qas, kept = totals["qas_kept"], totals["kept"]
        return f", QAs kept {qas} ({qas / kept if kept else 0.0:.2f} per kept row)"
