"""Where a row's media files are.

Rule, for each relative path in an image/video/audio cell, first match wins:

1. the path as written, if it exists relative to the working directory (upstream's behaviour);
2. the path relative to the folder of the first-entry file (the input JSON/JSONL/...);
3. the path relative to each parent of that folder, nearest first (so upstream's example rows,
   written as ``./example_data/image_contextvqa/x.png`` relative to the work folder, are found
   from any working directory).

Absolute paths, URLs (``http://``, ``https://``, ``s3://``, ...) and ``data:`` URIs are used as is.
A path found by none of the rules is returned as written, and loading it fails for that row only.
"""

from __future__ import annotations

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


def media_cell_to_list(cell: Any) -> list[str]:
    """A media cell (a path, a list of paths, an empty list or null) as a list of path strings.

    Raises ``ValueError`` (a row-level problem) for anything else.
    """
    if is_missing(cell):
        return []
    if isinstance(cell, str):
        return [cell] if cell.strip() else []
    if hasattr(cell, "tolist") and not isinstance(cell, (bytes, dict)):
        cell = cell.tolist()
    if isinstance(cell, (list, tuple)):
        out = []
        for item in cell:
            if not isinstance(item, str):
                raise ValueError(f"media list items must be path strings, got {type(item).__name__}: {item!r}")
            if item.strip():
                out.append(item)
        return out
    raise ValueError(f"a media cell must be a path, a list of paths, an empty list or null; got {type(cell).__name__}")


def resolve_media_cell(cell: Any, base_dir: str | os.PathLike | None) -> list[str]:
    """``media_cell_to_list`` then ``resolve_media_path`` on each item."""
    return [resolve_media_path(p, base_dir) for p in media_cell_to_list(cell)]


def resolve_all(cells: Iterable[Any], base_dir: str | os.PathLike | None) -> list[list[str]]:
    resolver = MediaResolver(base_dir)
    return [resolver.cell(c) for c in cells]


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

    def cell(self, cell: Any) -> list[str]:
        """``resolve_media_cell`` with this resolver."""
        return [self.path(p) for p in media_cell_to_list(cell)]
