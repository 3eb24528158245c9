"""QADeduplicator: QA pairs repeated across rows, and near-duplicate articles (MinHash)."""

from __future__ import annotations

import os
import zlib
from typing import Any

from dataflow.core.operator import require_columns
from dataflow.errors import MissingDependencyError
from dataflow.operators.core_vision.filter.verdicts import QualityOperator, qa_reason, row_reason
from dataflow.core.registry import OPERATOR_REGISTRY
from dataflow.storage.media import MediaResolver, embedded_bytes, is_url
from dataflow.text.match import normalize_answer, text_tokens


_SIGN_CHUNK = 4096


def _crc32(data: bytes) -> int:
    return zlib.crc32(data)  # deterministic across runs, unlike hash(); fast


@OPERATOR_REGISTRY.register()
class QADeduplicator(QualityOperator):
    """Remove repeated QA pairs about one image or one article; flag (or drop) near-duplicate articles.

    A QA is a repeat when its normalised question and answer (case, punctuation, articles, NFKC,
    number words: as ``ContextVQAFilter``) equal those of an earlier QA **in the same scope**: a row
    about the same image (the same path, or the same bytes) or a row whose article nearly repeats
    this one. The first occurrence is kept and the removed one names its row. The same question and
    answer about another image, with its own article, is another training sample and is kept
    ("In which year was it built? / 1911" is true of many bridges). Articles are compared with
    MinHash over word ``shingle_words``-grams (``datasketch``): one whose estimated Jaccard
    similarity to an earlier article reaches ``article_threshold`` is a near duplicate of it.

    Args:
        article_threshold: similarity from which articles are near duplicates (default 0.8).
        drop_near_duplicate_articles: reject such rows (default: keep and flag them).
        num_perm, shingle_words: MinHash permutations (128) and shingle length in words (3).
        generic_question_share: flag (``qa[i]: generic_question``, the QA is kept) a question asked
            in more than this share of the rows, e.g. 0.05: a template question that carries no
            knowledge. Off (None) by default.

    Input columns:
        ``input_key``: ``{context, qas}`` records (null rows pass through untouched).
    Output columns:
        ``output_key``: the record without repeated QAs (null when none is left, or when a near
        duplicate article is dropped).
        ``{output_key}_reasons``: ``"qa[i]: duplicate_qa"``, ``"row: near_duplicate_article"``,
        ``"row: no_qa_left"``, ``"qa[i]: generic_question"`` (a flag).
        ``{output_key}_duplicate_of``: for a row that lost QAs, ``{"<qa index>": <row index of the kept
        first occurrence>}``; null otherwise.
        ``{output_key}_near_duplicate_of``: the row index (in this step's input) of the earlier
        article this one nearly repeats, or null.

    Example:
        >>> QADeduplicator().run(storage.step(), input_key="context_vqa_vision", output_key="context_vqa_final")
    """

    output_suffixes = ("_reasons", "_duplicate_of", "_near_duplicate_of")
    ray_global = True

    def __init__(
        self,
        article_threshold: float = 0.8,
        drop_near_duplicate_articles: bool = False,
        num_perm: int = 128,
        shingle_words: int = 3,
        generic_question_share: float | None = None,
    ):
        if not 0.0 < article_threshold <= 1.0:
            raise ValueError(f"The 'article_threshold' parameter must be in (0, 1]. Got {article_threshold!r} instead.")
        if generic_question_share is not None and not 0.0 < generic_question_share < 1.0:
            raise ValueError(
                f"The 'generic_question_share' parameter must be in (0, 1) or None. Got {generic_question_share!r} instead."
            )
        self.generic_question_share = generic_question_share
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

    def signatures(self, contexts: list[str | None]) -> list[Any]:
        """Each article's MinHash signature (``num_perm`` uint64 values; None without text). Rows are
        independent here, so batches can be signed apart (in parallel, on Ray) and decided together."""
        try:
            from datasketch import MinHash
        except ImportError:
            raise MissingDependencyError("datasketch", "quality", "QADeduplicator") from None
        out: list[Any] = [None] * len(contexts)
        for start in range(0, len(contexts), _SIGN_CHUNK):  # shingles of one chunk at a time in memory
            shingles = [self._shingles(c) if isinstance(c, str) else [] for c in contexts[start : start + _SIGN_CHUNK]]
            with_text = [i for i, s in enumerate(shingles) if s]
            hashes = MinHash.bulk([shingles[i] for i in with_text], num_perm=self.num_perm, hashfunc=_crc32)
            for i, minhash in zip(with_text, hashes):
                out[start + i] = minhash.hashvalues
        return out

    def near_duplicates(self, contexts: list[str | None], signatures: list | None = None) -> list[int | None]:
        """For each article, the index of an earlier near duplicate (or None); from ``signatures`` when given."""
        import numpy as np
        from datasketch import LeanMinHash, MinHash, MinHashLSH

        if signatures is None:
            signatures = self.signatures(contexts)
        lsh = MinHashLSH(threshold=self.article_threshold, num_perm=self.num_perm)
        # datasketch 2 wants the scheme of signatures made elsewhere: the one this version makes by default
        scheme = getattr(MinHash(num_perm=self.num_perm), "scheme", None)
        extra = {"scheme": scheme} if scheme is not None else {}
        by_row = {i: LeanMinHash(seed=1, hashvalues=np.asarray(sig, dtype=np.uint64), **extra)
                  for i, sig in enumerate(signatures) if sig is not None}
        found: list[int | None] = [None] * len(signatures)
        for i, minhash in by_row.items():
            # LSH proposes candidates; the MinHash estimate confirms them (LSH alone has false positives).
            confirmed = [c for c in lsh.query(minhash) if minhash.jaccard(by_row[c]) >= self.article_threshold]
            if confirmed:
                found[i] = min(confirmed)
            lsh.insert(i, minhash)
        return found

    # -- scopes ----------------------------------------------------------------------------------
    def scopes(self, frame: Any, image_key: str | None, near: list[int | None]) -> list[int]:
        """Each row's dedup scope: rows about the same image (same path, or same bytes) and rows whose
        articles nearly repeat each other share one (union-find); every other row is its own."""
        parent = list(range(len(frame)))

        def root(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        def join(a: int, b: int) -> None:
            ra, rb = root(a), root(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)

        if image_key is not None:
            first: dict[Any, int] = {}
            resolver = MediaResolver(self.media_root)  # each distinct path looked up once
            for i, cell in enumerate(frame[image_key].tolist()):
                identity = _image_identity(cell, resolver)
                if identity is not None:
                    join(first.setdefault(identity, i), i)
        for i, earlier in enumerate(near):
            if earlier is not None:
                join(earlier, i)
        return [root(i) for i in range(len(frame))]

    def _generic(self, records: list[Any]) -> set[str]:
        """Normalised questions asked in more than ``generic_question_share`` of the rows."""
        if self.generic_question_share is None:
            return set()
        counts: dict[str, int] = {}
        rows = 0
        for record in records:
            if isinstance(record, dict):
                rows += 1
                for q in {normalize_answer(str(qa.get("question", ""))) for qa in _qas(record)}:
                    counts[q] = counts.get(q, 0) + 1
        return {q for q, n in counts.items() if rows and n / rows > self.generic_question_share}

    # -- batch and step --------------------------------------------------------------------------
    def process(self, frame: Any, input_key: str = "context_vqa_vision", output_key: str = "context_vqa_final",
                input_image_key: str | None = "image") -> Any:
        """Return a copy of ``frame`` (every row) with ``output_key``, its reasons, ``_duplicate_of`` and
        ``_near_duplicate_of``. ``input_image_key``: the image column that scopes QA repeats (None: the
        articles alone scope them)."""
        require_columns(frame, [input_key, input_image_key], type(self).__name__)
        return self.decide(frame, self.sign(frame, input_key), input_key, output_key, input_image_key)

    # -- a global step in two halves: signing (per batch, parallel) and deciding (one pass) -------------
    def sign(self, frame: Any, input_key: str = "context_vqa_vision", **_: Any) -> list:
        """Per row, the compact state ``decide`` needs: the article's MinHash signature."""
        return self.signatures([r.get("context") if isinstance(r, dict) else None for r in frame[input_key].tolist()])

    def decide(self, frame: Any, signatures: list, input_key: str = "context_vqa_vision",
               output_key: str = "context_vqa_final", input_image_key: str | None = "image") -> Any:
        """``process()``'s result from the rows and their signatures (``sign``), in one pass."""
        import pandas as pd

        records = frame[input_key].tolist()
        near = self.near_duplicates([], signatures)
        scope = self.scopes(frame, input_image_key, near)
        generic = self._generic(records)
        first_seen: dict[tuple, int] = {}
        results, reasons, duplicate_of = [], [], []
        for row, (record, near_of) in enumerate(zip(records, near)):
            if not isinstance(record, dict):
                results.append(record)
                reasons.append([])
                duplicate_of.append(None)
                continue
            why, kept, repeats = [], [], {}
            for k, qa in enumerate(_qas(record)):
                question = normalize_answer(str(qa.get("question", "")))
                key = (scope[row], question, normalize_answer(str(qa.get("answer", ""))))
                if key in first_seen:
                    why.append(qa_reason(k, "duplicate_qa"))
                    repeats[str(k)] = first_seen[key]
                    continue
                first_seen[key] = row
                if question in generic:
                    why.append(qa_reason(k, "generic_question"))
                kept.append(qa)
            if near_of is not None:
                why.append(row_reason("near_duplicate_article"))
            rejected = (near_of is not None and self.drop_near_duplicate_articles) or not kept
            if not kept:
                why.append(row_reason("no_qa_left"))
            results.append(None if rejected else {**record, "qas": kept})
            reasons.append(why)
            duplicate_of.append(repeats or None)
        out = frame.copy()
        out[output_key] = results
        out[f"{output_key}_reasons"] = reasons
        out[f"{output_key}_duplicate_of"] = pd.Series(duplicate_of, index=out.index, dtype=object)
        out[f"{output_key}_near_duplicate_of"] = pd.Series(near, index=out.index, dtype=object)
        return out


def _qas(record: dict) -> list[dict]:
    return [qa for qa in record.get("qas") or [] if isinstance(qa, dict)]


def _image_identity(cell: Any, resolver: MediaResolver) -> Any:
    """What makes two rows about the same image: the resolved paths, or the bytes' digest."""
    import hashlib

    try:
        items = resolver.cell(cell)
    except ValueError:
        return None
    if not items:
        return None
    parts = []
    for item in items:
        if isinstance(item, str):
            parts.append(os.path.realpath(item) if not is_url(item) else item)
        else:
            parts.append(hashlib.sha256(embedded_bytes(item)).hexdigest())
    return tuple(parts)
