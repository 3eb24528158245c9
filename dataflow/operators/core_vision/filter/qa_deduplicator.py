"""QADeduplicator: QA pairs repeated across rows, and near-duplicate articles (MinHash)."""

from __future__ import annotations

import zlib
from typing import Any

from dataflow.core.operator import require_columns
from dataflow.errors import MissingDependencyError
from dataflow.operators.core_vision.filter.verdicts import QualityOperator, qa_reason, row_reason
from dataflow.core.registry import OPERATOR_REGISTRY
from dataflow.text.match import normalize_answer, text_tokens


def _crc32(data: bytes) -> int:
    return zlib.crc32(data)  # deterministic across runs, unlike hash(); fast


@OPERATOR_REGISTRY.register()
class QADeduplicator(QualityOperator):
    """Remove QA pairs repeated across rows; flag (or drop) articles that nearly repeat an earlier one.

    A QA is a repeat when its normalised question and answer (case, punctuation, articles, NFKC,
    number words: as ``ContextVQAFilter``) equal an earlier row's; the first occurrence is kept.
    Articles are compared with MinHash over word ``shingle_words``-grams (``datasketch``): one whose
    estimated Jaccard similarity to an earlier article reaches ``article_threshold`` is a near
    duplicate of it.

    Args:
        article_threshold: similarity from which articles are near duplicates (default 0.8).
        drop_near_duplicate_articles: reject such rows (default: keep and flag them).
        num_perm, shingle_words: MinHash permutations (128) and shingle length in words (3).

    Input columns:
        ``input_key``: ``{context, qas}`` records (null rows pass through untouched).
    Output columns:
        ``output_key``: the record without repeated QAs (null when none is left, or when a near
        duplicate article is dropped).
        ``{output_key}_reasons``: ``"qa[i]: duplicate_qa"``, ``"row: near_duplicate_article"``,
        ``"row: no_qa_left"``.
        ``{output_key}_near_duplicate_of``: the row index (in this step's input) of the earlier
        article this one nearly repeats, or null.

    Example:
        >>> QADeduplicator().run(storage.step(), input_key="context_vqa_vision", output_key="context_vqa_final")
    """

    output_suffixes = ("_reasons", "_near_duplicate_of")

    def __init__(
        self,
        article_threshold: float = 0.8,
        drop_near_duplicate_articles: bool = False,
        num_perm: int = 128,
        shingle_words: int = 3,
    ):
        if not 0.0 < article_threshold <= 1.0:
            raise ValueError(f"The 'article_threshold' parameter must be in (0, 1]. Got {article_threshold!r} instead.")
        self.article_threshold = article_threshold
        self.drop_near_duplicate_articles = drop_near_duplicate_articles
        self.num_perm = num_perm
        self.shingle_words = shingle_words

    @staticmethod
    def get_desc(lang: str = "zh") -> str:
        if lang == "zh":
            return "删除跨行重复的问答对（归一化后的问题与答案相同），并用 MinHash 标注近似重复的文章。"
        return "Removes QA pairs repeated across rows (same normalised question and answer) and flags near-duplicate articles with MinHash."

    # -- articles --------------------------------------------------------------------------------
    def _shingles(self, text: str) -> list[bytes]:
        tokens = text_tokens(text)
        n = self.shingle_words
        if len(tokens) < n:
            return [" ".join(tokens).encode()] if tokens else []
        return [" ".join(tokens[i : i + n]).encode() for i in range(len(tokens) - n + 1)]

    def near_duplicates(self, contexts: list[str | None]) -> list[int | None]:
        """For each article, the index of an earlier near duplicate (or None)."""
        try:
            from datasketch import MinHash, MinHashLSH
        except ImportError:
            raise MissingDependencyError("datasketch", "quality", "QADeduplicator") from None
        shingles = [self._shingles(c) if isinstance(c, str) else [] for c in contexts]
        with_text = [i for i, s in enumerate(shingles) if s]
        hashes = MinHash.bulk([shingles[i] for i in with_text], num_perm=self.num_perm, hashfunc=_crc32)
        lsh = MinHashLSH(threshold=self.article_threshold, num_perm=self.num_perm)
        by_row = dict(zip(with_text, hashes))
        found: list[int | None] = [None] * len(contexts)
        for i, minhash in by_row.items():
            # LSH proposes candidates; the MinHash estimate confirms them (LSH alone has false positives).
            confirmed = [c for c in lsh.query(minhash) if minhash.jaccard(by_row[c]) >= self.article_threshold]
            if confirmed:
                found[i] = min(confirmed)
            lsh.insert(i, minhash)
        return found

    # -- batch and step --------------------------------------------------------------------------
    def process(self, frame: Any, input_key: str = "context_vqa_vision", output_key: str = "context_vqa_final") -> Any:
        """Return a copy of ``frame`` (every row) with ``output_key``, its reasons and near-duplicate column."""
        import pandas as pd

        require_columns(frame, [input_key], type(self).__name__)
        records = frame[input_key].tolist()
        near = self.near_duplicates([r.get("context") if isinstance(r, dict) else None for r in records])
        seen: set[tuple[str, str]] = set()
        results, reasons = [], []
        for record, duplicate_of in zip(records, near):
            if not isinstance(record, dict):
                results.append(record)
                reasons.append([])
                continue
            why, kept = [], []
            for k, qa in enumerate(record.get("qas") or []):
                key = (normalize_answer(str(qa.get("question", ""))), normalize_answer(str(qa.get("answer", ""))))
                if key in seen:
                    why.append(qa_reason(k, "duplicate_qa"))
                    continue
                seen.add(key)
                kept.append(qa)
            if duplicate_of is not None:
                why.append(row_reason("near_duplicate_article"))
            rejected = (duplicate_of is not None and self.drop_near_duplicate_articles) or not kept
            if not kept:
                why.append(row_reason("no_qa_left"))
            results.append(None if rejected else {**record, "qas": kept})
            reasons.append(why)
        out = frame.copy()
        out[output_key] = results
        out[f"{output_key}_reasons"] = reasons
        out[f"{output_key}_near_duplicate_of"] = pd.Series(near, index=out.index, dtype=object)
        return out

