"""ImageQualityFilter: rows whose images no model should see (unreadable, tiny, banner-shaped, blank,
huge) are rejected before any generation, each with a stable reason."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from dataflow.core.operator import require_columns
from dataflow.core.registry import OPERATOR_REGISTRY
from dataflow.io.image_probe import ImageFacts, probe_image
from dataflow.operators.core_vision.filter.verdicts import QualityOperator, row_reason
from dataflow.storage.media import MediaResolver

_REJECT_IF = ("any", "all")


def probe_cells(cells: list[Any], media_root: str | None, workers: int | None, **probe: Any) -> list[list[ImageFacts]]:
    """Each cell's images probed (``probe_image(**probe)``) on a thread pool; a bad cell is one failed image."""
    resolver = MediaResolver(media_root)
    items: list[list[Any]] = []
    for cell in cells:
        try:
            items.append(resolver.cell(cell))
        except ValueError as err:
            items.append([ImageFacts(error=str(err))])
    flat = [item for row in items for item in row if not isinstance(item, ImageFacts)]
    with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1, thread_name_prefix="dataflow-probe") as pool:
        probed = iter(list(pool.map(lambda item: probe_image(item, **probe), flat, chunksize=16)))
    return [[item if isinstance(item, ImageFacts) else next(probed) for item in row] for row in items]


class ImageRowOperator(QualityOperator):
    """What the image operators share: rows of one or several images, read on a thread pool
    (``num_workers`` changes no output), and a rule for rows with several images (``reject_if``)."""

    run_only_params = (*QualityOperator.run_only_params, "num_workers")

    @staticmethod
    def check_reject_if(reject_if: str) -> str:
        if reject_if not in _REJECT_IF:
            raise ValueError(f"The 'reject_if' parameter must be one of {list(_REJECT_IF)}. Got {reject_if!r} instead.")
        return reject_if


@OPERATOR_REGISTRY.register()
class ImageQualityFilter(ImageRowOperator):
    """Reject rows whose images are unreadable, too small, of an extreme aspect ratio, near blank or too large.

    Sizes come from the image header; the blank check decodes a reduced image (a JPEG at 1/8 scale).
    Every check is switched off with ``None``.

    Args:
        min_side: an image whose shorter side is below this (pixels) is ``image_too_small`` (default
            112: thumbnails and icons).
        max_aspect_ratio: a longer side more than this many times the shorter is
            ``image_extreme_aspect_ratio`` (default 3.0, as data-juicer's LLaVA recipe: banners, strips).
        min_std: a grayscale pixel variation below this (0-255 scale) is ``image_blank`` (default 4.0:
            solid and almost solid frames; a dark night photo with lights varies far more).
        max_pixels: more pixels than this is ``image_too_large`` (default 100 megapixels).
        reject_if: ``"any"`` (default) rejects a row when any of its images fails; ``"all"`` only when
            every image fails. A row without an image is rejected (``no_image``).
        num_workers: threads that read images (default: the machine's cores).

    Input columns:
        ``input_image_key``: an image cell (a path, URL, bytes, a ``{"bytes", "path"}`` dict, a PIL
        image, or a list of them).
    Output columns:
        ``output_key``: per image ``{"width", "height", "std"}`` (std null when not measured), or null
        for a rejected row.
        ``{output_key}_reasons``: ``"row: image_too_small"``, ``"row: image_blank"``, ... (``[]`` when kept).

    Example:
        >>> ImageQualityFilter().run(storage.step(), input_image_key="image", output_key="image_quality")
    """

    def __init__(
        self,
        min_side: int | None = 112,
        max_aspect_ratio: float | None = 3.0,
        min_std: float | None = 4.0,
        max_pixels: int | None = 100_000_000,
        reject_if: str = "any",
        num_workers: int | None = None,
    ):
        if max_aspect_ratio is not None and max_aspect_ratio < 1:
            raise ValueError(f"The 'max_aspect_ratio' parameter must be >= 1. Got {max_aspect_ratio!r} instead.")
        self.min_side = min_side
        self.max_aspect_ratio = max_aspect_ratio
        self.min_std = min_std
        self.max_pixels = max_pixels
        self.reject_if = self.check_reject_if(reject_if)
        self.num_workers = num_workers

    @staticmethod
    def get_desc(lang: str = "zh") -> str:
        if lang == "zh":
            return "在调用模型之前过滤图像：无法读取、过小、长宽比极端、近乎空白或过大的图像所在行被拒绝，并给出原因。"
        return (
            "Filters images before any model sees them: rows with unreadable, too small, extreme aspect "
            "ratio, near-blank or too large images are rejected, each with a reason."
        )

    def image_problem(self, facts: ImageFacts) -> str | None:
        """The reason code of one probed image, or None when it passes."""
        if facts.error is not None:
            return "image_unreadable"
        short, long = sorted((facts.width, facts.height))
        if self.min_side is not None and short < self.min_side:
            return "image_too_small"
        if self.max_aspect_ratio is not None and long > self.max_aspect_ratio * max(short, 1):
            return "image_extreme_aspect_ratio"
        if self.max_pixels is not None and facts.width * facts.height > self.max_pixels:
            return "image_too_large"
        if self.min_std is not None and facts.std is not None and facts.std < self.min_std:
            return "image_blank"
        return None

    def _judge(self, facts: list[ImageFacts]) -> tuple[list | None, list[str]]:
        if not facts:
            return None, [row_reason("no_image")]
        problems = [self.image_problem(f) for f in facts]
        failed = [p for p in problems if p]
        rejected = bool(failed) and (self.reject_if == "any" or len(failed) == len(problems))
        reasons = [row_reason(code) for code in dict.fromkeys(failed)]
        measured = [{"width": f.width, "height": f.height, "std": None if f.std is None else round(f.std, 2)}
                    for f in facts]
        return (None if rejected else measured), reasons

    def process(self, frame: Any, input_image_key: str = "image", output_key: str = "image_quality") -> Any:
        """Return a copy of ``frame`` (every row) with ``output_key`` and ``{output_key}_reasons``."""
        require_columns(frame, [input_image_key], type(self).__name__)
        cells = frame[input_image_key].tolist()
        root = getattr(self, "media_root", None)
        # the header gives the sizes; only an image that passes those checks is decoded (reduced)
        facts = probe_cells(cells, root, self.num_workers, content=self.min_std is not None,
                            measure_if=lambda f: self.image_problem(f) is None)
        verdicts = [self._judge(row) for row in facts]
        out = frame.copy()
        out[output_key] = [v[0] for v in verdicts]
        out[f"{output_key}_reasons"] = [v[1] for v in verdicts]
        return out
