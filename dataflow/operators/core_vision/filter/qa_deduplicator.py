"""QADeduplicator: QA pairs repeated across rows, and near-duplicate articles (MinHash)."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections import Counter
from typing import Any

from dataflow.core.operator import require_columns
from dataflow.operators.core_vision.filter.verdicts import QualityOperator, qa_reason, row_reason
from dataflow.core.registry import OPERATOR_REGISTRY
from dataflow.storage.media import MediaResolver, embedded_bytes, is_url
from dataflow.storage.formats import raw_records
from dataflow.text.match import normalize_answer, normalize_answers
from dataflow.text.minhash import MinHasher, NearDuplicateIndex, SpillArray, fmix64


@OPERATOR_REGISTRY.register()
class QADeduplicator(QualityOperator):
    """Remove repeated QA pairs about one image or one article; flag (or drop) near-duplicate articles.

    A QA is a repeat when its normalised question and answer (case, punctuation, articles, NFKC,
    number words: as ``ContextVQAFilter``) equal those of an earlier QA **in the same scope**: a row
    about the same image (the same path, or the same bytes) or a row whose article nearly repeats
    this one. The first occurrence is kept and the removed one names its row. The same question and
    answer about another image, with its own article, is another training sample and is kept
    ("In which year was it built? / 1911" is true of many bridges). Articles are compared with
    MinHash over word ``shingle_words``-grams (``dataflow.text.minhash``): one whose estimated Jaccard
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
        self._minhasher: MinHasher | None = None

    @staticmethod
    def get_desc(lang: str = "zh") -> str:
        if lang == "zh":
            return "删除跨行重复的问答对（归一化后的问题与答案相同），并用 MinHash 标注近似重复的文章。"
        return "Removes QA pairs repeated across rows (same normalised question and answer) and flags near-duplicate articles with MinHash."

    def io_keys(self, **run_kwargs: Any) -> Any:
        """As the base class says, except that the image column is not media here: only its paths (or
        bytes) say which rows share a photo, the files are never read, so their size and mtime are
        not part of the cache key (and an unchanged input is reused without being read)."""
        io = super().io_keys(**run_kwargs)
        io.media = []
        return io

    # -- articles --------------------------------------------------------------------------------
    def signatures(self, contexts: list[str | None]) -> list[Any]:
        """Each article's MinHash signature (``num_perm`` uint32 values; None without words). Rows are
        independent here, so batches can be signed apart (in parallel, on Ray) and decided together."""
        signatures, has = self._hasher().signatures(contexts)
        return [signature if ok else None for signature, ok in zip(signatures, has)]

    def near_duplicates(self, contexts: list[str | None], signatures: list | None = None) -> list[int | None]:
        """For each article, the index of an earlier near duplicate (or None); from ``signatures`` when given."""
        if signatures is None:
            signatures = self.signatures(contexts)
        index = NearDuplicateIndex(self.article_threshold, self.num_perm)
        index.add(*_signature_array(signatures, self.num_perm))
        return [None if j < 0 else int(j) for j in index.earlier().tolist()] if len(signatures) else []

    def _hasher(self) -> MinHasher:
        if self._minhasher is None:
            self._minhasher = MinHasher(self.num_perm, self.shingle_words)
        return self._minhasher

    # -- batch and step --------------------------------------------------------------------------
    def process(self, frame: Any, input_key: str = "context_vqa_vision", output_key: str = "context_vqa_final",
                input_image_key: str | None = "image") -> Any:
        """Return a copy of ``frame`` (every row) with ``output_key``, its reasons, ``_duplicate_of`` and
        ``_near_duplicate_of``. ``input_image_key``: the image column that scopes QA repeats (None: the
        articles alone scope them)."""
        require_columns(frame, [input_key, input_image_key], type(self).__name__)
        return self.decide(frame, None, input_key, output_key, input_image_key)

    def produce(self, step: Any, keys: dict, writes: list[str], sink: Any) -> None:
        """Two passes over the step's input, a chunk at a time: the first keeps each row's compact state
        (signature, image identity, QA hashes; in files beside the step file), the second writes the
        rows with their verdicts. Memory holds a few values per row, never the rows."""
        folder = None
        if step.out_path is not None:
            folder = tempfile.mkdtemp(prefix=f".{step.out_path.name}.", suffix=".tmp", dir=step.out_path.parent)
        try:
            dedup = _Dedup(self, keys, folder)
            for records in step.chunks(progress=self.progress_label(" (1/2: signing)")):
                dedup.add(records)
            dedup.decide()
            for records in step.chunks(progress=self.progress_label(" (2/2: writing)")):
                sink(dedup.apply(records))
        finally:
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)

    # -- a global step in two halves: signing (per batch, parallel) and deciding (one pass) -------------
    def sign(self, frame: Any, input_key: str = "context_vqa_vision", **_: Any) -> list:
        """Per row, the compact state ``decide`` needs: the article's MinHash signature."""
        return self.signatures([r.get("context") if isinstance(r, dict) else None for r in frame[input_key].tolist()])

    def decide(self, frame: Any, signatures: list | None, input_key: str = "context_vqa_vision",
               output_key: str = "context_vqa_final", input_image_key: str | None = "image") -> Any:
        """``process()``'s result from the rows and their signatures (``sign``; None: signed here)."""
        keys = {"input_key": input_key, "output_key": output_key, "input_image_key": input_image_key}
        dedup = _Dedup(self, keys, None)
        records = raw_records(frame)
        dedup.add(records, signatures)
        dedup.decide()
        out = frame.copy()
        rows = dedup.apply(records)
        for column in (output_key, f"{output_key}_reasons", f"{output_key}_duplicate_of",
                       f"{output_key}_near_duplicate_of"):
            out[column] = pd_objects([row[column] for row in rows], out.index)
        return out


class _Dedup:
    """One de-duplication over rows added in order (``add``), decided at once (``decide``), then
    applied in the same order (``apply``). Per row it keeps the article's signature (low bits, in the
    near-duplicate index), the image's identity and one 64-bit hash per QA, in ``SpillArray``s
    (files in ``folder``, or memory); the QA repeats are found by sorting those hashes keyed by scope,
    one hash partition at a time."""

    def __init__(self, op: QADeduplicator, keys: dict, folder: str | None):
        import numpy as np

        self.op = op
        self.input_key = keys["input_key"]
        self.output_key = keys["output_key"]
        self.image_key = keys.get("input_image_key")
        self.folder = folder

        def spill(name: str, dtype: Any) -> SpillArray:
            return SpillArray(os.path.join(folder, name) if folder else None, dtype)

        self.index = NearDuplicateIndex(op.article_threshold, op.num_perm, folder)
        self.images = spill("images.u64", np.uint64)
        self.qa_counts = spill("qa_counts.u32", np.uint32)
        self.qa_hashes = spill("qa_hashes.u64", np.uint64)
        self.questions: Counter = Counter()  # generic_question_share: rows asking each question (by hash)
        self.resolver = MediaResolver(op.media_root)
        self._seen_images: dict[Any, int] = {}
        self.near: Any = None
        self.repeats: Any = None  # (QA position, row of its first occurrence) of every repeated QA, by position
        self._next_repeat = 0
        self.generic: set[int] = set()
        self._row = 0
        self._qa = 0

    def add(self, records: list[dict], signatures: list | None = None) -> None:
        """Pass one over a chunk of rows: their compact state."""
        import numpy as np

        values = [r.get(self.input_key) for r in records]
        if signatures is None:
            sig, has = self.op._hasher().signatures([v.get("context") if isinstance(v, dict) else None for v in values])
        else:
            sig, has = _signature_array(signatures, self.op.num_perm)
        self.index.add(sig, has)
        if self.image_key is not None:
            self.images.append(np.fromiter((self._image(r.get(self.image_key)) for r in records),
                                           dtype=np.uint64, count=len(records)))
        qa_lists = [_qas(v) if isinstance(v, dict) else [] for v in values]
        texts = [str(qa.get(field, "")) for qas in qa_lists for qa in qas for field in ("question", "answer")]
        normal = normalize_answers(texts)
        counts = [len(qas) for qas in qa_lists]
        hashes = [_text_key(normal[k] + "\x00" + normal[k + 1]) for k in range(0, len(normal), 2)]
        if self.op.generic_question_share is not None:
            position = 0
            for value, n in zip(values, counts):
                if isinstance(value, dict):
                    self.questions.update({_text_key(normal[k]) for k in range(position, position + 2 * n, 2)})
                    self.questions[_ROWS] += 1
                position += 2 * n
        self.qa_counts.append(np.asarray(counts, dtype=np.uint32))
        self.qa_hashes.append(np.asarray(hashes, dtype=np.uint64))

    def _image(self, cell: Any) -> int:
        """``_image_identity`` of a cell, remembered for the next rows (rows about one photo are usually
        next to each other)."""
        if type(cell) is list and len(cell) == 1 and type(cell[0]) is str:
            key: Any = cell[0]  # one path: the same identity as the bare string
        else:
            key = tuple(cell) if isinstance(cell, list) and all(isinstance(c, str) for c in cell) else cell
        if not isinstance(key, (str, tuple)):
            return _image_identity(cell, self.resolver)
        found = self._seen_images.get(key)
        if found is None:
            if len(self._seen_images) >= 4096:
                self._seen_images.clear()
            found = self._seen_images[key] = _image_identity(cell, self.resolver)
        return found

    def decide(self) -> None:
        """Near duplicates, scopes (same image or near-duplicate articles: union-find), repeated QAs."""
        import numpy as np

        self.near = self.index.earlier()
        scope = self._scopes()
        ends = np.cumsum(self.qa_counts.read_all(), dtype=np.int64)  # QA positions -> rows
        self.repeats = _repeats_in_scope(self.qa_hashes, scope, ends, self.folder)
        self._next_repeat = 0
        if self.op.generic_question_share is not None:
            rows = self.questions.pop(_ROWS, 0)
            self.generic = {q for q, n in self.questions.items() if rows and n / rows > self.op.generic_question_share}
            self.questions = Counter()

    def _scopes(self) -> Any:
        """Each row's scope: the smallest row index joined to it by a shared image or a near duplicate."""
        import numpy as np

        n = len(self.index)
        parent = np.arange(n, dtype=np.int64)
        if self.image_key is not None:
            images = self.images.read_all()
            shown = np.nonzero(images)[0]
            if len(shown):
                _, first, inverse = np.unique(images[shown], return_index=True, return_inverse=True)
                parent[shown] = shown[first][inverse]
        joined = np.nonzero(self.near >= 0)[0]
        for i in joined.tolist():  # union-find over the near-duplicate edges (few, next to the rows)
            a, b = _root(parent, i), _root(parent, int(self.near[i]))
            if a != b:
                parent[max(a, b)] = min(a, b)
        while True:  # flatten: every row points at its root
            grand = parent[parent]
            if np.array_equal(grand, parent):
                return parent
            parent = grand

    def apply(self, records: list[dict]) -> list[dict]:
        """Pass two over a chunk of rows (in the order they were added): the rows with their verdicts."""
        op, key = self.op, self.output_key
        out = []
        for record in records:
            i, self._row = self._row, self._row + 1
            value = record.get(self.input_key)
            near = int(self.near[i]) if self.near[i] >= 0 else None
            verdict = {key: value, f"{key}_reasons": [], f"{key}_duplicate_of": None, f"{key}_near_duplicate_of": near}
            if isinstance(value, dict):
                why, kept, repeats = [], [], {}
                for k, qa in enumerate(_qas(value)):
                    first = self._repeat_of(self._qa)
                    self._qa += 1
                    if first is not None:
                        why.append(qa_reason(k, "duplicate_qa"))
                        repeats[str(k)] = first
                        continue
                    if self.generic and _text_key(normalize_answer(str(qa.get("question", "")))) in self.generic:
                        why.append(qa_reason(k, "generic_question"))
                    kept.append(qa)
                if near is not None:
                    why.append(row_reason("near_duplicate_article"))
                if not kept:
                    why.append(row_reason("no_qa_left"))
                rejected = (near is not None and op.drop_near_duplicate_articles) or not kept
                verdict.update({key: None if rejected else {**value, "qas": kept}, f"{key}_reasons": why,
                                f"{key}_duplicate_of": repeats or None})
            out.append({**record, **verdict})
        return out


    def _repeat_of(self, position: int) -> int | None:
        """The row of the first occurrence of the QA at ``position`` when it is a repeat (positions are
        asked in increasing order)."""
        positions = self.repeats[0]
        k = self._next_repeat
        if k < len(positions) and positions[k] == position:
            self._next_repeat += 1
            return int(self.repeats[1][k])
        return None


_ROWS = -1  # the questions counter's entry for the number of rows with a record


def _root(parent: Any, i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = int(parent[i])
    return i


def _repeats_in_scope(hashes: SpillArray, scope: Any, ends: Any, folder: str | None) -> tuple[Any, Any]:
    """Every QA whose hash equals an earlier QA's in the same scope: (its position, the row of the first
    occurrence), ordered by position. ``ends``: cumulative QA counts per row. The keys (hash mixed
    with scope) are split into partitions by their top bits and each partition sorted on its own,
    so that no more than a partition is ever sorted in memory."""
    import numpy as np

    total = len(hashes)
    bits = int(np.ceil(np.log2(total / _PARTITION))) if total > _PARTITION else 0
    spills = [SpillArray(os.path.join(folder, f"qa_part{p}.u64") if folder else None, np.uint64, 2)
              for p in range(1 << bits)]
    for lo in range(0, total, _PARTITION):
        position = np.arange(lo, min(total, lo + _PARTITION), dtype=np.int64)
        rows = np.searchsorted(ends, position, side="right")
        keys = _scoped_keys(hashes.read(lo, lo + _PARTITION), scope[rows])
        part = (keys >> np.uint64(64 - bits)).astype(np.int64) if bits else np.zeros(len(keys), np.int64)
        order = np.argsort(part, kind="stable")
        bounds = np.searchsorted(part[order], np.arange((1 << bits) + 1))
        pairs = np.stack([keys, position.astype(np.uint64)], axis=1)[order]
        for p in range(1 << bits):
            if bounds[p + 1] > bounds[p]:
                spills[p].append(pairs[bounds[p] : bounds[p + 1]])
    found_positions, found_rows = [], []
    for spill in spills:
        pairs = spill.read_all()
        if len(pairs):
            positions, firsts = _repeats(pairs[:, 0], pairs[:, 1].astype(np.int64))
            found_positions.append(positions)
            found_rows.append(np.searchsorted(ends, firsts, side="right"))
    if not found_positions:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    positions, rows = np.concatenate(found_positions), np.concatenate(found_rows).astype(np.int32)
    order = np.argsort(positions)
    return positions[order], rows[order]


def _scoped_keys(hashes: Any, scope: Any) -> Any:
    """A QA's key: its hash mixed with its scope."""
    import numpy as np

    return fmix64(hashes ^ (scope.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)))


def _repeats(keys: Any, positions: Any) -> tuple[Any, Any]:
    """(position, position of the first QA with the same key) of every QA that is not the first."""
    import numpy as np

    order = np.lexsort((positions, keys))
    keys, positions = keys[order], positions[order]
    repeat = np.zeros(len(keys), dtype=bool)
    repeat[1:] = keys[1:] == keys[:-1]
    first = np.maximum.accumulate(np.where(~repeat, np.arange(len(keys)), 0))
    return positions[repeat], positions[first[repeat]]


_PARTITION = 1 << 18  # QAs per sort partition (and per block of the partitioning pass)


def _text_key(text: str) -> int:
    """A 64-bit key of ``text`` for this run's comparisons (QA pairs, questions): Python's own string
    hash (SipHash), several times cheaper than a BLAKE2 digest. It differs between processes, so it
    is never stored beyond the run; every key of one de-duplication is made in one process."""
    return hash(text) & 0xFFFFFFFFFFFFFFFF


def _hash64(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little")


def _signature_array(signatures: list, num_perm: int) -> tuple[Any, Any]:
    """Per-row signatures (lists, arrays or None) as one uint32 array and a has-text mask."""
    import numpy as np

    has = np.fromiter((s is not None for s in signatures), dtype=bool, count=len(signatures))
    out = np.full((len(signatures), num_perm), 0xFFFFFFFF, dtype=np.uint32)
    for i in np.nonzero(has)[0]:
        out[i] = np.asarray(signatures[i], dtype=np.uint64).astype(np.uint32)
    return out, has


def pd_objects(values: list, index: Any) -> Any:
    import pandas as pd

    return pd.Series(values, index=index, dtype=object)


def _qas(record: dict) -> list[dict]:
    return [qa for qa in record.get("qas") or [] if isinstance(qa, dict)]


def _image_identity(cell: Any, resolver: MediaResolver) -> int:
    """What makes two rows about the same image, as a 64-bit hash (0: no image): the resolved absolute
    paths, or the bytes' digest."""
    try:
        items = resolver.cell(cell)
    except ValueError:
        return 0
    if not items:
        return 0
    parts = []
    for item in items:
        if isinstance(item, str):
            parts.append(os.path.abspath(item) if not is_url(item) else item)
        else:
            parts.append(hashlib.sha256(embedded_bytes(item)).hexdigest())
    return _hash64("\x00".join(parts)) or 1
