"""``dataflow view``: a self-contained HTML report of a step file that opens from disk.

Layout: ``report.html`` (Jinja2, autoescaped) and ``report_files/`` beside it: ``report.js``,
``thumbs/`` (bounded JPEG thumbnails made with PIL, one per distinct image) and ``data/`` (one small
script per page of rows and status, loaded on demand with a ``<script>`` tag, which works from
``file://`` where ``fetch`` does not). The page script builds every card with ``textContent``:
nothing from the data is ever parsed as HTML; the page's Content-Security-Policy allows scripts
from files only (no inline script, no event-handler attributes), and it needs no server and no
network.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from dataflow.report.records import STATUSES, ImageLocator, RowView, figures, iter_status, load_rows

logger = logging.getLogger(__name__)

PAGE_SIZE = 50
THUMB_PIXELS = 256


def _js_json(value: Any) -> str:
    """JSON that is also safe inside a script: no ``</script>``, no raw U+2028/2029."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


class _Thumbnails:
    """One bounded JPEG per distinct image file, named by its path, size and mtime."""

    def __init__(self, folder: Path, base_dir: str, image_root: str | None, pixels: int):
        self.folder = folder
        self.locate = ImageLocator(base_dir, image_root)
        self.pixels = pixels
        self.made: dict[str, str | None] = {}

    def plan(self, paths: set[str]) -> dict[str, tuple[str, str]]:
        out = {}
        for path in paths:
            resolved = self.locate.path(path)
            try:
                st = os.stat(resolved)
            except OSError:
                self.made[path] = None
                continue
            key = hashlib.sha1(f"{resolved}\0{st.st_size}\0{st.st_mtime_ns}\0{self.pixels}".encode()).hexdigest()[:20]
            out[path] = (resolved, f"{key}.jpg")
        return out

    def make_all(self, paths: set[str], show_progress: bool) -> None:
        from tqdm.auto import tqdm

        todo = self.plan(paths)
        self.folder.mkdir(parents=True, exist_ok=True)
        with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool, tqdm(
            total=len(todo), desc="thumbnails", unit="img", disable=not show_progress or not todo
        ) as bar:
            for path, name in zip(todo, pool.map(lambda item: self._make(*item), todo.values())):
                self.made[path] = name
                bar.update(1)

    def _make(self, resolved: str, name: str) -> str | None:
        target = self.folder / name
        if target.exists():
            return name
        try:
            from PIL import Image, ImageOps

            with Image.open(resolved) as image:
                image.draft("RGB", (self.pixels, self.pixels))  # JPEG: decode at a reduced scale
                image = ImageOps.exif_transpose(image).convert("RGB")
                image.thumbnail((self.pixels, self.pixels))
                tmp = target.with_suffix(".tmp")
                image.save(tmp, "JPEG", quality=80)
                os.replace(tmp, target)
            return name
        except Exception as err:  # a bad image is shown as missing, never stops the report
            logger.debug("thumbnail of %s: %s", resolved, err)
            return None


def _row_json(row: RowView, thumbs: dict[str, str | None], files_name: str) -> dict:
    return {
        "i": row.index,
        "id": row.id if isinstance(row.id, (str, int, float)) else str(row.id),
        "s": row.status,
        "img": [[p, f"{files_name}/thumbs/{thumbs[p]}" if thumbs.get(p) else None] for p in row.images],
        "c": row.context,
        "q": [[str(qa.get("question", "")), str(qa.get("answer", "")), _flag(qa)] for qa in row.qas],
        "e": row.error,
        "r": row.reasons,
        "k": row.record_key,
    }


def _flag(qa: dict) -> str | None:
    if qa.get("answerable_without_image") is True:
        return "answerable without the image"
    return None


def write_report(
    step_file: str | os.PathLike,
    output: str | os.PathLike | None = None,
    *,
    image_key: str = "image",
    image_root: str | None = None,
    page_size: int = PAGE_SIZE,
    thumb_pixels: int = THUMB_PIXELS,
    show_progress: bool = True,
) -> Path:
    """Write the report of ``step_file`` to ``output`` (default: ``<step file>.report.html`` beside it)."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    step = Path(step_file)
    rows, columns = load_rows(step, image_key=image_key)
    out = Path(output) if output else step.with_name(f"{step.stem}.report.html")
    files = out.with_name(f"{out.stem}_files")
    data_dir = files / "data"
    if data_dir.exists():
        shutil.rmtree(data_dir)  # pages of an earlier report of other data
    data_dir.mkdir(parents=True)

    thumbs = _Thumbnails(files / "thumbs", str(step.resolve().parent), image_root, thumb_pixels)
    thumbs.make_all({p for r in rows for p in r.images}, show_progress)
    counts = {}
    for status in ("all", *STATUSES):
        chosen = list(iter_status(rows, status))
        counts[status] = len(chosen)
        for k in range(0, len(chosen), page_size):
            page = [_row_json(r, thumbs.made, files.name) for r in chosen[k : k + page_size]]
            script = f"dataflowReport.page({_js_json(status)},{k // page_size},{_js_json(page)});\n"
            (data_dir / f"{status}-{k // page_size:05d}.js").write_text(script, encoding="utf-8")

    env = Environment(loader=PackageLoader("dataflow.report", "templates"), autoescape=select_autoescape(["html", "j2"]))
    html = env.get_template("report.html.j2").render(
        title=step.name, source=str(step), figures=figures(rows), record_columns=columns,
        config={"files": files.name, "pageSize": page_size, "counts": counts},
    )
    shutil.copyfile(Path(__file__).with_name("templates") / "report.js", files / "report.js")
    out.write_text(html, encoding="utf-8")
    logger.info("report of %d rows -> %s (thumbnails and pages in %s)", len(rows), out, files)
    return out
