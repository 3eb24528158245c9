"""ImageDeduplicator: copies of one picture (the same file, or resized and re-encoded) go to the model once."""

from __future__ import annotations

from typing import Any

from dataflow.core.operator import require_columns
from dataflow.core.registry import OPERATOR_REGISTRY
from dataflow.io.image_probe import ImageFacts, near_pairs
from dataflow.operators.core_vision.filter.image_quality_filter import ImageRowOperator, probe_cells
from dataflow.operators.core_vision.filter.verdicts import row_reason


@OPERATOR_REGISTRY.register()
class ImageDeduplicator(ImageRowOperator):
    """Remove rows whose images repeat an earlier row's: exact copies and perceptual near duplicates.

    Exact copies have the same bytes (SHA-256). Near duplicates have perceptual hashes (the 64-bit DCT
    hash, pHash) within ``max_distance`` bits: a resized or re-encoded copy differs in 0 to 2 bits,
    different photos, even of one landmark, in well over 10. The first row of each group is kept and
    compared with later rows; a removed row names it. Search is bucketed (the hash cut into
    ``max_distance + 1`` chunks; only hashes sharing a chunk are compared), not over all pairs.

    Args:
        max_distance: the largest Hamming distance between near duplicates (default 4); 0 keeps only
            exact perceptual matches, ``None`` turns near-duplicate search off (exact copies only).
        reject_if: ``"any"`` (default) removes a row when any of its images repeats an earlier kept
            row's; ``"all"`` only when every image does.
        num_workers: threads that read images (default: the machine's cores).

    Input columns:
        ``input_image_key``: an image cell (any form ``ImageQualityFilter`` takes).
    Output columns:
        ``output_key``: per image ``{"sha256", "phash"}`` (hex; null for an unreadable image, which is
        kept: ``ImageQualityFilter`` is the place for those), or null for a removed row.
        ``{output_key}_reasons``: ``"row: duplicate_image"`` (an exact copy) or ``"row: near_duplicate_image"``.
        ``{output_key}_duplicate_of``: the row index (in this step's input) of the kept row it repeats.

    Example:
        >>> ImageDeduplicator().run(storage.step(), input_image_key="image", output_key="image_dedup")
    """

    output_suffixes = ("_reasons", "_duplicate_of")
    ray_global = True
    streams = False  # compares rows across the whole input

    def __init__(self, max_distance: int | None = 4, reject_if: str = "any", num_workers: int | None = None):
        if max_distance is not None and not 0 <= max_distance < 32:
            raise ValueError(f"The 'max_distance' parameter must be in [0, 32) or None. Got {max_distance!r} instead.")
        self.max_distance = max_distance
        self.reject_if = self.check_reject_if(reject_if)
        self.num_workers = num_workers

    @staticmethod
    def get_desc(lang: str = "zh") -> str:
        if lang == "zh":
            return "在调用模型之前去除重复图像：完全相同的文件与感知哈希相近的副本（缩放、重新编码），保留每组第一张。"
        return (
            "Removes repeated images before any model sees them: identical files and perceptual near copies "
            "(resized, re-encoded); the first of each group is kept and named in the removed rows."
        )

    def process(self, frame: Any, input_image_key: str = "image", output_key: str = "image_dedup") -> Any:
        """Return a copy of ``frame`` (every row) with ``output_key``, its reasons and ``_duplicate_of``."""

        require_columns(frame, [input_image_key], type(self).__name__)
        return self.decide(frame, self.sign(frame, input_image_key), input_image_key, output_key)

    # -- a global step in two halves: signing (per batch, parallel) and deciding (one pass) -------------
    def sign(self, frame: Any, input_image_key: str = "image", **_: Any) -> list[list[dict]]:
        """Per row, each image's SHA-256 and perceptual hash (or why it could not be read)."""
        facts = probe_cells(frame[input_image_key].tolist(), self.media_root, self.num_workers,
                            content=False, hashes=True)
        return [[{"sha256": f.sha256, "phash": f.phash, "error": f.error} for f in row] for row in facts]

    def decide(self, frame: Any, signatures: list[list[dict]], input_image_key: str = "image",
               output_key: str = "image_dedup") -> Any:
        """``process()``'s result from the rows and their signatures (``sign``), in one pass."""
        import pandas as pd

        facts = [[ImageFacts(sha256=s["sha256"], phash=s["phash"], error=s["error"]) for s in row] for row in signatures]
        near = self._near_matches(facts)
        kept_rows: set[int] = set()
        kept_sha: dict[str, int] = {}
        results, reasons, duplicate_of = [], [], []
        for row, images in enumerate(facts):
            verdict = self._verdict(images, near.get(row, {}), kept_rows, kept_sha)
            if verdict is None:
                kept_rows.add(row)
                for f in images:
                    if f.sha256 is not None:
                        kept_sha.setdefault(f.sha256, row)
                results.append([{"sha256": f.sha256, "phash": None if f.phash is None else f"{f.phash:016x}"}
                                for f in images])
                reasons.append([])
                duplicate_of.append(None)
            else:
                results.append(None)
                reasons.append([row_reason(verdict[0])])
                duplicate_of.append(verdict[1])
        out = frame.copy()
        out[output_key] = results
        out[f"{output_key}_reasons"] = reasons
        out[f"{output_key}_duplicate_of"] = pd.Series(duplicate_of, index=out.index, dtype=object)
        return out

    def _near_matches(self, facts: list[list[ImageFacts]]) -> dict[int, dict[int, set[int]]]:
        """For each row: image position -> the earlier rows holding an image within ``max_distance``."""
        import numpy as np

        owners = [(row, k) for row, images in enumerate(facts) for k, f in enumerate(images) if f.phash is not None]
        found: dict[int, dict[int, set[int]]] = {}
        if self.max_distance is None or not owners:
            return found
        hashes = np.array([facts[row][k].phash for row, k in owners], dtype=np.uint64)
        for a, b in zip(*near_pairs(hashes, self.max_distance)):
            (row_a, _), (row_b, k_b) = owners[int(a)], owners[int(b)]
            if row_a < row_b:
                found.setdefault(row_b, {}).setdefault(k_b, set()).add(row_a)
        return found

    def _verdict(self, images: list[ImageFacts], near: dict[int, set[int]], kept: set[int],
                 kept_sha: dict[str, int]) -> tuple | None:
        """(reason code, the kept row repeated) for a row to remove, or None to keep it."""
        hits: dict[int, tuple[int, str]] = {}  # image position -> (earliest kept row, code)
        for k, f in enumerate(images):
            if f.sha256 is not None and f.sha256 in kept_sha:
                hits[k] = (kept_sha[f.sha256], "duplicate_image")
            elif near.get(k):
                rows = sorted(r for r in near[k] if r in kept)
                if rows:
                    hits[k] = (rows[0], "near_duplicate_image")
        if not hits or (self.reject_if == "all" and len(hits) < len(images)):
            return None
        return min((row, code) for row, code in hits.values())[::-1]
