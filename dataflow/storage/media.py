"""Where a row's media files are.

Rule, for each relative path in an image/video/audio cell, first match wins:

1. the path as written, if it exists relative to the working directory (upstream's behaviour);
2. the path relative to the folder of the first-entry file (the input JSON/JSONL/...);
3. the path relative to each parent of that folder, nearest first (so upstream's example rows,
   written as ``./example_data/image_contextvqa/x.png`` relative to the work folder, are found
   from any working directory).

Absolute paths, URLs (``http://``, ``https://``, ``s3://``, ...) and ``data:`` URIs are used as is.
A path found by none of the rules is returned as written, and loading it fails for that row only.

A cell may also carry the image itself (``media_item``): raw bytes, a ``datasets`` ``Image`` dict
``{"bytes": ..., "path": ...}`` or a PIL image. Text step files never hold bytes:
``externalize_media`` writes each embedded image once, content-addressed, to a media folder
(``<cache_path>/media/<sha256>.<ext>``) and puts its path in the cell.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import re
from pathlib import Path
from typing import Any, Iterable

_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://|^data:")


def is_url(path: str) -> bool:
    return bool(_URL.match(path))


def media_path_candidates(path: str, base_dir: str | os.PathLike | None) -> list[str]:
    """Every location the rule above tries for ``path``, in order."""
    if is_url(path) or os.path.isabs(path):
        return [path]
    candidates = [path]
    if base_dir is not None:
        base = Path(base_dir).resolve()
        for folder in (base, *base.parents):
            candidates.append(str(folder / path))
    return candidates


def resolve_media_path(path: str, base_dir: str | os.PathLike | None) -> str:
    """Resolve one media path by the module's rule."""
    path = os.path.expanduser(path)
    candidates = media_path_candidates(path, base_dir)
    for candidate in candidates:
        if os.path.exists(candidate):
            return candidate if candidate == path else os.path.normpath(candidate)
    return path


def is_missing(value: Any) -> bool:
    """True for ``None`` and float NaN (what an absent cell reads back as)."""
    return value is None or (isinstance(value, float) and math.isnan(value))


_ITEM_FORMS = "a path, URL or data: URI, bytes, a {'bytes', 'path'} dict or a PIL image"


def is_pil_image(value: Any) -> bool:
    """True for a PIL image (without importing PIL when the data has none)."""
    return type(value).__module__.startswith("PIL.") and hasattr(value, "getbbox")


def media_item(item: Any) -> Any:
    """One media item in a form the loaders take: a path/URL/``data:`` string, ``bytes`` or a PIL image.

    A ``datasets`` ``Image`` cell (``{"bytes": ..., "path": ...}``) gives its bytes, or its path when
    the bytes are null. ``None`` and empty strings give ``None`` (no item). Anything else raises a
    one-line ``ValueError`` naming what it got, never the bytes themselves.
    """
    if item is None or isinstance(item, float) and math.isnan(item):
        return None
    if isinstance(item, str):
        return item if item.strip() else None
    if isinstance(item, (bytes, bytearray, memoryview)):
        data = bytes(item)
        if not data:
            raise ValueError("image bytes are empty")
        return data
    if isinstance(item, dict) and ("bytes" in item or "path" in item):
        data, path = item.get("bytes"), item.get("path")
        if isinstance(data, (bytes, bytearray, memoryview)) and len(data):
            return bytes(data)
        if isinstance(path, str) and path.strip():
            return path
        raise ValueError("an image dict in a media cell needs non-empty 'bytes' or 'path'; both are empty")
    if is_pil_image(item):
        return item
    raise ValueError(f"a media cell must hold {_ITEM_FORMS}; got {type(item).__name__}")


def media_cell_to_list(cell: Any) -> list[Any]:
    """A media cell as a list of items (``media_item``): one item, or a list of them, or null/empty.

    Path strings stay strings; embedded images (bytes, ``{"bytes", "path"}`` dicts, PIL images) come
    back as ``bytes`` or PIL images. Raises ``ValueError`` (a row-level problem) for anything else.
    """
    if is_missing(cell):
        return []
    if hasattr(cell, "tolist") and not isinstance(cell, (bytes, dict, str)) and not is_pil_image(cell):
        cell = cell.tolist()
    items = cell if isinstance(cell, (list, tuple)) else [cell]
    out = []
    for item in items:
        if isinstance(item, (list, tuple)):
            raise ValueError(f"a media cell must be one item or a flat list of them ({_ITEM_FORMS}); got a nested list")
        normalized = media_item(item)
        if normalized is not None:
            out.append(normalized)
    return out


def is_embedded(item: Any) -> bool:
    """True for an image carried in the data itself (bytes or a PIL image) rather than named by a path."""
    return isinstance(item, bytes) or is_pil_image(item)


def resolve_media_cell(cell: Any, base_dir: str | os.PathLike | None) -> list[Any]:
    """``media_cell_to_list`` then ``resolve_media_path`` on each path (embedded images as they are)."""
    return [resolve_media_path(p, base_dir) if isinstance(p, str) else p for p in media_cell_to_list(cell)]


def resolve_all(cells: Iterable[Any], base_dir: str | os.PathLike | None) -> list[list[str]]:
    resolver = MediaResolver(base_dir)
    return [resolver.cell(c) for c in cells]


SEEN_PATHS = 1 << 16  # paths a resolver (or a fingerprint's file stamps) remembers at most


class MediaResolver:
    """The module's rule for one run: the base folders resolved once, each distinct path looked up once.

    At 100k rows the rule cost a ``Path.resolve()`` per row and a walk of the folders for every
    occurrence of a shared image; this keeps it to the ``stat`` calls of each distinct path. Files
    that appear after a path was looked up are not seen: make one resolver per run.
    """

    def __init__(self, base_dir: str | os.PathLike | None):
        self.bases: list[Path] = []
        if base_dir is not None:
            base = Path(base_dir).resolve()
            self.bases = [base, *base.parents]
        self._seen: dict[str, str] = {}

    def path(self, path: str) -> str:
        found = self._seen.get(path)
        if found is None:
            if len(self._seen) >= SEEN_PATHS:  # bounded: a million distinct photos must not fill memory
                self._seen.clear()
            found = self._seen[path] = self._lookup(path)
        return found

    def _lookup(self, path: str) -> str:
        expanded = os.path.expanduser(path)
        if is_url(expanded) or os.path.isabs(expanded) or os.path.exists(expanded):
            return expanded
        for folder in self.bases:
            candidate = folder / expanded
            if os.path.exists(candidate):
                return os.path.normpath(candidate)
        return expanded

    def cell(self, cell: Any) -> list[Any]:
        """``resolve_media_cell`` with this resolver."""
        return [self.path(p) if isinstance(p, str) else p for p in media_cell_to_list(cell)]


# ----------------------------------------------------------------------------------------------
# embedded images in text step files
# ----------------------------------------------------------------------------------------------
_MAGIC = ((b"\x89PNG", ".png"), (b"\xff\xd8\xff", ".jpg"), (b"GIF8", ".gif"), (b"BM", ".bmp"),
          (b"II*\x00", ".tif"), (b"MM\x00*", ".tif"))


def _image_extension(data: bytes) -> str:
    for magic, extension in _MAGIC:
        if data.startswith(magic):
            return extension
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return ".webp"
    return ".img"


def embedded_bytes(item: Any) -> bytes:
    """The encoded bytes of an embedded image (a PIL image is encoded as PNG)."""
    if isinstance(item, bytes):
        return item
    buffer = io.BytesIO()
    item.save(buffer, format="PNG")
    return buffer.getvalue()


def save_embedded(item: Any, media_dir: str | os.PathLike) -> str:
    """Write an embedded image to ``media_dir/<sha256>.<ext>`` (once: same content, same file); its path."""
    from dataflow.utils.fs import atomic_write_bytes

    data = embedded_bytes(item)
    name = hashlib.sha256(data).hexdigest() + _image_extension(data)
    path = Path(media_dir).resolve() / name
    if not path.exists():
        atomic_write_bytes(path, data)
    return str(path)


def _is_image_dict(value: Any) -> bool:
    return isinstance(value, dict) and "bytes" in value and set(value) <= {"bytes", "path"}


def _externalized(value: Any, media_dir: str | os.PathLike) -> Any:
    if isinstance(value, (bytes, bytearray, memoryview)) or is_pil_image(value):
        return save_embedded(media_item(value), media_dir)
    if _is_image_dict(value):
        try:
            item = media_item(value)
        except ValueError:
            return value  # an empty dict stays as it is: the row that reads it fails with the reason
        return save_embedded(item, media_dir) if is_embedded(item) else item
    return value


def externalize_media(records: list[dict], media_dir: str | os.PathLike) -> list[dict]:
    """``records`` with every embedded image (in a cell, or in a list in a cell) replaced by its path
    in ``media_dir``; records without one are returned as they are (not copied)."""
    out = records
    for r, record in enumerate(records):
        changed = None
        for key, value in record.items():
            if isinstance(value, list):
                new = [_externalized(v, media_dir) for v in value] if any(_needs_file(v) for v in value) else value
            else:
                new = _externalized(value, media_dir) if _needs_file(value) else value
            if new is not value:
                changed = changed or dict(record)
                changed[key] = new
        if changed is not None:
            if out is records:
                out = list(records)
            out[r] = changed
    return out


def _needs_file(value: Any) -> bool:
    return isinstance(value, (bytes, bytearray, memoryview)) or is_pil_image(value) or _is_image_dict(value)
