"""ImageQualityFilter + ImageDeduplicator before the model: images/s on 1 MP JPEGs, and a 100k-image run.

    python benchmarks/image_prefilter.py [--photos 600] [--scale-images 100000]

Images are photo-like (smooth random structure plus sensor noise, so JPEGs are ~200 KB per megapixel
as camera photos are): per 100, 5 exact copies and 5 resized-and-re-encoded copies of earlier
distinct photos, 2 blank frames, 2 thumbnails and 1 banner (4:1), the rest distinct. Part 1 times the pair's ``process`` on 1000x750 JPEGs
(both operators read every image: the filter its header and a 1/8-scale draft, the deduplicator a
draft for the perceptual hash), against a baseline in the same run that opens and fully decodes
each image with PIL on the same threads (what a plain "check every image" script does). Part 2 runs
the pair on ``--scale-images`` 320x240 JPEGs and reports seconds and the peak RSS of the process.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from _common import best_of, write_report

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from PIL import Image  # noqa: E402

from dataflow.operators.core_vision import ImageDeduplicator, ImageQualityFilter  # noqa: E402


_NOISE: dict[tuple[int, int], list] = {}


def photo(rng: np.random.Generator, size: tuple[int, int]) -> Image.Image:
    """A smooth random scene (what makes it distinct) plus one of a few sensor-noise fields (texture)."""
    if size not in _NOISE:
        _NOISE[size] = [(rng.standard_normal((size[1], size[0], 3)) * 9).astype(np.int16) for _ in range(8)]
    base = Image.fromarray((rng.random((7, 9, 3)) * 255).astype("uint8")).resize(size, Image.Resampling.BICUBIC)
    noisy = np.asarray(base, dtype=np.int16) + _NOISE[size][int(rng.integers(8))]
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))


def make_images(folder: Path, n: int, size: tuple[int, int], seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    paths: list[str] = []
    distinct: list[str] = []
    for i in range(n):
        kind = i % 100
        path = folder / f"{i:07d}.jpg"
        if kind < 5 and distinct:  # an exact copy of an earlier photo
            path.write_bytes(Path(distinct[int(rng.integers(len(distinct)))]).read_bytes())
        elif kind < 10 and distinct:  # an earlier photo resized and re-encoded
            source = Image.open(distinct[int(rng.integers(len(distinct)))])
            source.resize((size[0] * 2 // 3, size[1] * 2 // 3)).save(path, quality=70)
        elif kind < 12:
            Image.new("RGB", size, tuple(int(c) for c in rng.integers(0, 255, 3))).save(path, quality=90)
        elif kind < 14:
            photo(rng, (96, 72)).save(path, quality=90)
        elif kind < 15:
            photo(rng, (size[0], size[0] // 4)).save(path, quality=90)
        else:
            photo(rng, size).save(path, quality=90)
            distinct.append(str(path))
        paths.append(str(path))
    return paths


def pair(paths: list[str]) -> tuple[int, int]:
    frame = pd.DataFrame({"image": paths})
    kept = ImageQualityFilter().process(frame)
    kept = kept[kept["image_quality"].map(lambda v: v is not None)].reset_index(drop=True)
    deduped = ImageDeduplicator().process(kept)
    return len(frame) - len(kept), int(deduped["image_dedup"].isna().sum())


def full_decode(paths: list[str]) -> None:
    def decode(path: str) -> None:
        with Image.open(path) as image:
            image.convert("RGB").load()

    with ThreadPoolExecutor(max_workers=os.cpu_count()) as pool:
        list(pool.map(decode, paths, chunksize=16))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--photos", type=int, default=600)
    parser.add_argument("--scale-images", type=int, default=100_000)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "mp"
        folder.mkdir()
        paths = make_images(folder, args.photos, (1000, 750))
        megabytes = sum(os.path.getsize(p) for p in paths) / 1e6
        baseline = best_of(lambda: full_decode(paths))
        seconds = best_of(lambda: pair(paths))
        rejected, removed = pair(paths)
        rows.append({"part": "1 MP JPEGs", "images": len(paths), "MB": round(megabytes, 1),
                     "full decode s": round(baseline, 2), "pair s": round(seconds, 2),
                     "pair img/s": round(len(paths) / seconds), "x decode": round(seconds / baseline, 2),
                     "rejected": rejected, "duplicates": removed})
    if args.scale_images:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "small"
            folder.mkdir()
            started = time.perf_counter()
            paths = make_images(folder, args.scale_images, (320, 240), seed=1)
            made = time.perf_counter() - started
            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            started = time.perf_counter()
            rejected, removed = pair(paths)
            seconds = time.perf_counter() - started
            rows.append({"part": "320x240 JPEGs", "images": len(paths), "make s": round(made, 1),
                         "pair s": round(seconds, 1), "pair img/s": round(len(paths) / seconds),
                         "peak RSS MiB": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                         "RSS before MiB": round(rss_before), "rejected": rejected, "duplicates": removed})
    write_report("image_prefilter", rows)


if __name__ == "__main__":
    main()
