"""A step file's rows as a person reads them: status, the record to show, errors, reasons, figures.

A row is ``failed`` when a generation error column (``*_error``) holds an error, ``rejected`` when
it comes from the step's ``*.rejected.*`` file (or its final record is null with reasons), and
``ok`` otherwise. The record shown is the last ``{context, qas}`` column that is not null: a
rejected row shows what the filter saw.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from dataflow.errors import StorageError
from dataflow.operators.core_vision.filter.verdicts import reason_code, rejected_path
from dataflow.storage.media import MediaResolver, media_item, save_embedded
from dataflow.storage.formats import read_records

STATUSES = ("ok", "failed", "rejected")
_HISTOGRAM_TOP = 10  # QAs per row: 0..9 and "10+"


@dataclass
class RowView:
    """One row, ready to show or export."""

    index: int
    id: Any
    status: str
    images: list[str]
    record: dict | None
    record_key: str | None
    error: str | None = None
    reasons: list[str] = field(default_factory=list)

    @property
    def qas(self) -> list[dict]:
        qas = self.record.get("qas") if isinstance(self.record, dict) else None
        return [qa for qa in qas if isinstance(qa, dict)] if isinstance(qas, list) else []

    @property
    def context(self) -> str:
        context = self.record.get("context") if isinstance(self.record, dict) else None
        return context if isinstance(context, str) else ""


def _is_record(value: Any) -> bool:
    return isinstance(value, dict) and "qas" in value and "context" in value


def _columns(rows: list[dict]) -> list[str]:
    seen: dict[str, None] = {}
    for row in rows[:1000]:
        for key in row:
            seen.setdefault(key, None)
    return list(seen)


def record_columns(rows: list[dict]) -> list[str]:
    """Columns holding ``{context, qas}`` records, in column order (the last is the most refined)."""
    out = []
    for column in _columns(rows):
        if any(_is_record(r.get(column)) for r in rows[:1000]):
            out.append(column)
    return out


def load_rows(
    step_file: str | Path, image_key: str | None = "image", record_key: str | None = None
) -> tuple[list[RowView], list[str]]:
    """The step file's rows and the rows its step rejected (``*.rejected.*`` beside it), as ``RowView``s.

    ``record_key``: the record column to show (default: the last one not null in each row).
    Returns the rows and the record columns found (last: the final record).
    """
    path = Path(step_file)
    if not path.is_file():
        raise StorageError(f"step file not found: {str(path.resolve())!r}")
    kept = _records(read_records(str(path)))
    rejected_file = rejected_path(path)
    rejected = _records(read_records(str(rejected_file))) if rejected_file.is_file() else []
    every = kept + rejected
    columns = record_columns(every)
    if record_key is not None and record_key not in columns:
        raise StorageError(f"record column {record_key!r} not in {path}; record columns there: {columns}")
    error_columns = [c for c in _columns(every) if c.endswith("_error")]
    reason_columns = [c for c in _columns(every) if c.endswith("_reasons")]
    views = []
    for i, row in enumerate(every):
        from_rejected = i >= len(kept)
        key = record_key or next((c for c in reversed(columns) if _is_record(row.get(c))), None)
        error = next((row[c] for c in error_columns if isinstance(row.get(c), str) and row[c]), None)
        reasons = [r for c in reason_columns if isinstance(row.get(c), list) for r in row[c] if isinstance(r, str)]
        final_missing = bool(columns) and row.get(columns[-1]) is None and bool(reasons)
        status = "failed" if error else "rejected" if from_rejected or final_missing else "ok"
        views.append(RowView(
            index=i, id=row.get("id", i), status=status, images=_images(row.get(image_key), path.parent / "media") if image_key else [],
            record=row.get(key) if key else None, record_key=key, error=error, reasons=reasons,
        ))
    return views, columns


def _records(data: Any) -> list[dict]:
    if hasattr(data, "to_dict"):  # csv / pickle give a DataFrame
        from dataflow.storage.formats import records_from_frame

        return records_from_frame(data)
    return data


class ImageLocator:
    """Where a row's image is on disk: under ``image_root`` when given, else by the pipeline's media
    rule from the step file's folder (``MediaResolver``), each distinct path looked up once."""

    def __init__(self, base_dir: str, image_root: str | None = None):
        self.image_root = os.path.abspath(image_root) if image_root else None
        self.resolver = MediaResolver(base_dir)

    def path(self, path: str) -> str:
        if self.image_root and not os.path.isabs(path):
            candidate = os.path.join(self.image_root, path)
            if os.path.exists(candidate):
                return candidate
        return self.resolver.path(path)

    def existing(self, path: str) -> str | None:
        """``path(path)`` when that file exists, else None."""
        found = self.path(path)
        return found if os.path.exists(found) else None


def _images(cell: Any, media_dir: Path) -> list[str]:
    """A row's images as paths; embedded images (a Parquet step keeps their bytes) are written to
    ``media_dir`` once, content-addressed, as the pipeline does for text step files."""
    items = cell if isinstance(cell, list) else [cell]
    out = []
    for item in items:
        try:
            item = media_item(item)
        except ValueError:
            continue
        if isinstance(item, str):
            out.append(item)
        elif item is not None:
            out.append(save_embedded(item, media_dir))
    return out


_PATHISH = re.compile(r"(/|\\\\|\w:\\\\)\S*|\S+\.(png|jpe?g|gif|webp|bmp|tiff?)\b", re.IGNORECASE)


def error_kind(error: str) -> str:
    """An error message with paths and numbers taken out, so equal problems count together."""
    text = _PATHISH.sub("<path>", error.splitlines()[0] if error else "")
    return re.sub(r"\d+", "N", text)[:160]


def figures(rows: list[RowView]) -> dict:
    """The header of a report: counts by status, QAs per ok row, the commonest failures and rejections."""
    statuses = Counter(r.status for r in rows)
    ok = [r for r in rows if r.status == "ok"]
    histogram = Counter(min(len(r.qas), _HISTOGRAM_TOP) for r in ok)
    qas = sum(len(r.qas) for r in ok)
    return {
        "rows": len(rows),
        **{s: statuses.get(s, 0) for s in STATUSES},
        "qas": qas,
        "qas_per_ok_row": round(qas / len(ok), 2) if ok else 0.0,
        "qas_histogram": [
            (f"{n}+" if n == _HISTOGRAM_TOP else str(n), histogram.get(n, 0)) for n in range(_HISTOGRAM_TOP + 1)
        ],
        "top_failures": Counter(error_kind(r.error) for r in rows if r.error).most_common(5),
        "top_rejections": Counter(
            reason_code(reason) for r in rows if r.status == "rejected" for reason in r.reasons
        ).most_common(5),
    }


def iter_status(rows: list[RowView], status: str | None) -> Iterator[RowView]:
    return (r for r in rows if status in (None, "all", r.status))


def format_figures(f: dict) -> str:
    """The figures as a few lines of text (``dataflow stats``)."""
    lines = [
        f"rows {f['rows']}: ok {f['ok']}, failed {f['failed']}, rejected {f['rejected']}",
        f"QAs {f['qas']} ({f['qas_per_ok_row']:.2f} per ok row)",
        "QAs per ok row: " + "  ".join(f"{label}:{count}" for label, count in f["qas_histogram"]),
    ]
    if f["top_failures"]:
        lines.append("most common failures:")
        lines += [f"  {count:>7}  {kind}" for kind, count in f["top_failures"]]
    if f["top_rejections"]:
        lines.append("most common rejection reasons:")
        lines += [f"  {count:>7}  {reason}" for reason, count in f["top_rejections"]]
    return "\n".join(lines)
