"""The meta record beside a step file (``<step file>.meta.json``): what it was made from, and its size,
row count and SHA-256 as written. A step is reused only when the record is well formed, names the
same fingerprint and still matches the file byte for byte.
"""

from __future__ import annotations

import json
import logging
import os
import stat
from pathlib import Path

from dataflow.step.fingerprint import file_sha256
from dataflow.utils.fs import atomic_write_bytes

logger = logging.getLogger(__name__)

META_SUFFIX = ".meta.json"
_META_VERSION = 2
_FIELDS = {"meta": int, "operator": str, "fingerprint": str, "rows": int, "size": int, "sha256": str}


def meta_path(step_file: str | os.PathLike) -> Path:
    return Path(str(step_file) + META_SUFFIX)


def rejected_path(step_file: str | os.PathLike) -> Path:
    """``cache/x_step3.json`` -> ``cache/x_step3.rejected.json``: the rows a quality step rejected."""
    path = Path(step_file)
    return path.with_name(f"{path.stem}.rejected{path.suffix}")


def record_step_file(path: str | os.PathLike, operator: str, key: str, rows: int, parts: dict | None = None,
                     size: int | None = None, sha256: str | None = None, source: dict | None = None) -> None:
    """Write ``<path>.meta.json``: what the step file was made from, and its size and digest as written
    (``size`` and ``sha256`` when the writer computed them as it wrote; else the file is read).
    ``source``: the input file's ``file_stamp`` when it was read, its data fingerprint and row count,
    so that an unchanged input need not be read again to know its fingerprint."""
    path = Path(path)
    meta = {
        "meta": _META_VERSION,
        "operator": operator,
        "fingerprint": key,
        "rows": rows,
        "size": size if sha256 is not None else path.stat().st_size,
        "sha256": sha256 or file_sha256(path),
        "parts": parts or {},
    }
    if source is not None and source.get("stamp"):
        meta["source"] = source
    atomic_write_bytes(meta_path(path), json.dumps(meta).encode())


_PART_WORDS = {
    "code": "the operator's code changed (a new dataflow release, or an edit of the operator)",
    "settings": "its settings changed (operator arguments, keys, model or sampling)",
    "data": "its input data changed",
}


def _why_other(recorded: object, parts: dict | None) -> str:
    """Which of the key's parts differ from the recorded ones, in words."""
    if not isinstance(recorded, dict) or not parts:
        return "it was made from other input data or settings"
    changed = [_PART_WORDS[name] for name in ("code", "settings", "data") if recorded.get(name) != parts.get(name)]
    return "; ".join(changed) or "it was made from other input data or settings"


def file_stamp(path: str | os.PathLike) -> list | None:
    """What changes whenever a file's contents do: size, modification and change times, inode and device
    (a rewrite, even to the same size and modification time, gets a new change time, and a replacement
    a new inode). None when it is not a plain file."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev]


def _read_meta(step_file: str | os.PathLike) -> dict | None:
    try:
        meta = json.loads(meta_path(step_file).read_bytes())
    except (OSError, ValueError):
        return None
    return meta if isinstance(meta, dict) and all(isinstance(meta.get(k), t) for k, t in _FIELDS.items()) else None


def recorded_input(step_file: str | os.PathLike) -> dict:
    """The ``source`` record of a step file's meta (``{}`` when there is none)."""
    meta = _read_meta(step_file) or {}
    source = meta.get("source")
    return source if isinstance(source, dict) and isinstance(source.get("data"), str) else {}


def stale_whatever_the_data(step_file: str | os.PathLike, parts: dict) -> str | None:
    """Why the step file cannot be reused whatever the input ("" when there is none), from its meta
    record alone; None when only the input's fingerprint can tell (its settings and code match)."""
    path = Path(step_file)
    if not path.exists() and not meta_path(step_file).exists():
        return ""
    meta = _read_meta(step_file)
    if meta is None:
        return stale_reason(step_file, "", parts) or "its meta record is unreadable"
    recorded = meta.get("parts")
    if not isinstance(recorded, dict):
        return None
    changed = [_PART_WORDS[name] for name in ("code", "settings") if recorded.get(name) != parts.get(name)]
    return "; ".join(changed) or None


def stale_reason(step_file: str | os.PathLike, key: str, parts: dict | None = None) -> str | None:
    """Why the step file cannot be reused for ``key`` ("" when there simply is none), or None if it can."""
    path, meta_file = Path(step_file), meta_path(step_file)
    if not path.exists() and not meta_file.exists():
        return ""
    if not meta_file.exists():
        return f"it has no {META_SUFFIX} record of what it was made from"
    try:
        meta = json.loads(meta_file.read_bytes())
    except (OSError, ValueError) as err:
        return f"its {META_SUFFIX} is unreadable ({err})"
    if not isinstance(meta, dict) or any(not isinstance(meta.get(k), t) for k, t in _FIELDS.items()):
        return f"its {META_SUFFIX} is not a record this version wrote"
    if meta["fingerprint"] != key:
        return _why_other(meta.get("parts"), parts)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return "the step file is missing"
    if size != meta["size"]:
        return f"the step file changed since it was written ({size} bytes, {meta['size']} recorded)"
    if file_sha256(path) != meta["sha256"]:
        return "the step file changed since it was written (its SHA-256 differs from the record)"
    return None


def reusable(step_file: str | os.PathLike, key: str, parts: dict | None, operator: str, hint: str = "") -> bool:
    """Whether the step file can be reused for ``key``; the log says so, or why it is recomputed
    (a warning when the file changed since it was written). Every runner decides reuse here."""
    reason = stale_reason(step_file, key, parts)
    if reason is None:
        logger.info("%s: reused the cached result %s (inputs and settings unchanged%s)", operator, step_file, hint)
        return True
    if reason:
        level = logging.WARNING if "changed since" in reason else logging.INFO
        logger.log(level, "%s: recomputing %s: %s", operator, step_file, reason)
    return False

