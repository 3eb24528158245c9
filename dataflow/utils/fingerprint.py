"""Stable fingerprints of data and settings, to decide whether a cached step can be reused."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def _default(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return repr(value)


def fingerprint(*parts: Any) -> str:
    """A hex digest of ``parts`` (JSON-able values; anything else by its ``repr``)."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(json.dumps(part, sort_keys=True, default=_default, ensure_ascii=False).encode("utf-8"))
        digest.update(b"\x00")
    return digest.hexdigest()[:32]


def frame_fingerprint(frame: Any) -> str:
    """Fingerprint of a DataFrame's columns and cell values (row order matters)."""
    digest = hashlib.sha256()
    digest.update(json.dumps([str(c) for c in frame.columns]).encode())
    for record in frame.to_dict(orient="records"):
        digest.update(json.dumps(record, sort_keys=True, default=_default, ensure_ascii=False).encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()[:32]
