"""Image preparation speed: the servings' load-and-bound step against plain PIL, per core.

    python benchmarks/image_prep.py

60 JPEG photos of 1 to 3 megapixels (the example images, resized, quality 90). ``ours`` is
``load_image`` with the Qwen-VL bounds (4x28x28 .. 1280x28x28): EXIF-aware, RGB, JPEG decoded at a
reduced scale, then resized to multiples of 28. ``plain`` is ``Image.open().convert("RGB").resize()``
to the same size. Both single-threaded; images/s per core. Also ``ours`` on all cores through the
servings' thread pool (``prepare_rows``).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from _common import REPO, best_of, write_report


def main() -> None:
    from PIL import Image

    from dataflow.io.images import DEFAULT_MAX_PIXELS, DEFAULT_MIN_PIXELS, load_image, smart_resize
    from dataflow.serving.base import LocalVLMServingBase

    tmp = Path(tempfile.mkdtemp(prefix="dataflow-img-"))
    sizes = [(1280, 960), (1600, 1200), (2048, 1536)]  # 1.2, 1.9, 3.1 MP
    paths = []
    for src in sorted((REPO / "example_data" / "image_contextvqa").glob("*.[jp][pn]g")):
        for w, h in sizes:
            for k in range(3):
                dest = tmp / f"{src.stem}_{w}_{k}.jpg"
                Image.open(src).convert("RGB").resize((w, h)).save(dest, quality=90)
                paths.append(str(dest))

    def ours():
        for p in paths:
            load_image(p)

    def plain():
        for p in paths:
            with Image.open(p) as im:
                h, w = smart_resize(im.height, im.width, 28, DEFAULT_MIN_PIXELS, DEFAULT_MAX_PIXELS)
                im.convert("RGB").resize((w, h), Image.Resampling.BICUBIC)

    class Loader(LocalVLMServingBase):
        def cleanup(self):
            pass

        def generate_prepared(self, rows):
            return []

    loader = Loader()

    def threaded():
        loader.prepare_rows([[{"from": "human", "value": "x"}]] * len(paths), [[p] for p in paths], None, None, None,
                            lambda item, n: load_image(item))

    n = len(paths)
    ours_s, plain_s, threaded_s = best_of(ours), best_of(plain), best_of(threaded)
    write_report(
        "image_prep",
        [
            {"method": "plain PIL, 1 thread", "images": n, "seconds": plain_s, "images_per_s": n / plain_s, "x_plain": 1.0},
            {"method": "ours, 1 thread", "images": n, "seconds": ours_s, "images_per_s": n / ours_s,
             "x_plain": plain_s / ours_s},
            {"method": f"ours, thread pool ({min(8, os.cpu_count() or 1)})", "images": n, "seconds": threaded_s,
             "images_per_s": n / threaded_s, "x_plain": plain_s / threaded_s},
        ],
    )


if __name__ == "__main__":
    main()
