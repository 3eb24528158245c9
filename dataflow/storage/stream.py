"""Rows a chunk at a time: reading a step file in chunks, and writing one as the chunks come.

A step that streams holds one chunk of rows at a time, whatever the number of rows. JSONL, JSON
lists, CSV and Parquet are read incrementally (a JSON list with one row per line, or indented as
this library writes it, is split at its rows; any other layout of a JSON list is read whole). JSONL
and JSON are written incrementally, byte for byte what ``write_records`` writes for the same rows;
CSV, Parquet and pickle step files are assembled in memory and written at the end (their layout
depends on every row: CSV's header, Parquet's schema).
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Any, Iterator

from dataflow.errors import StorageError
from dataflow.storage.formats import (
    _check_records,
    _decode_json_columns,
    _dumps_json,
    _json_loads,
    _jsonl_rows,
    _parquet_modules,
    _read_csv_chunks,
    _write_jsonl_bytes,
    format_of,
    raw_records,
    read_records,
    records_from_frame,
    write_records,
)
from dataflow.storage.media import externalize_media
from dataflow.utils.fs import AtomicFile

try:
    import orjson

    _PLAIN_JSONL = orjson.OPT_APPEND_NEWLINE | orjson.OPT_NON_STR_KEYS
    _PLAIN_JSON = orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS
except ImportError:  # pragma: no cover - orjson is a dependency
    orjson = None

STREAMED_WRITES = ("json", "jsonl")
_BLOCK = 1 << 22


def iter_record_chunks(path: str, rows: int) -> Iterator[list[dict]]:
    """The rows of a file (format from its extension) as lists of at most ``rows`` dicts, in order,
    reading no more of the file at a time than a chunk needs where the format allows."""
    fmt = format_of(path)
    if fmt == "jsonl":
        yield from _batched(_jsonl_rows(path), rows)
    elif fmt == "json":
        yield from _batched(_json_rows(path), rows)
    elif fmt == "csv":
        yield from _read_csv_chunks(path, rows)
    elif fmt == "parquet":
        _, pq = _parquet_modules()
        parquet = pq.ParquetFile(path)
        for batch in parquet.iter_batches(batch_size=rows):
            yield _decode_json_columns(batch.to_pylist(), parquet.schema_arrow.metadata)
    else:
        data = read_records(path)
        records = data if isinstance(data, list) else raw_records(data)
        for start in range(0, len(records), rows):
            yield records[start : start + rows]


def _batched(items: Iterator[dict], rows: int) -> Iterator[list[dict]]:
    batch: list[dict] = []
    for item in items:
        batch.append(item)
        if len(batch) >= rows:
            yield batch
            batch = []
    if batch:
        yield batch


_FIRST_ROW = re.compile(rb"\s*\[(\r?\n)([ \t]*)\{")


def _json_rows(path: str) -> Iterator[dict]:
    """The rows of a JSON list file one by one. A list with each row starting on its own line at one
    indentation (one row per line, or indented as this library writes it) is split at the rows;
    raw newlines never occur inside JSON strings, so ``},<newline><indent>{`` marks a row boundary
    exactly. Any other layout, or a piece that does not parse, is read whole (with exact errors)."""
    done = 0
    with open(path, "rb") as fh:
        buf = fh.read(_BLOCK)
        if buf.startswith(b"\xef\xbb\xbf"):
            buf = buf[3:]
        first = _FIRST_ROW.match(buf)
        if first is None:
            yield from _whole_json(path, done)
            return
        newline, indent = first.group(1), first.group(2)
        sep = b"}," + newline + indent + b"{"
        start, scan = first.end() - 1, first.end() - 1
        eof = False
        while True:
            idx = buf.find(sep, scan)
            if idx < 0:
                if eof:
                    break
                block = fh.read(_BLOCK)
                eof = not block
                buf, scan = buf[start:] + block, max(0, len(buf) - start - len(sep))
                start = 0
                continue
            row = _json_piece(buf[start : idx + 1])
            if row is None:
                yield from _whole_json(path, done)
                return
            yield row
            done += 1
            start = scan = idx + len(sep) - 1
        tail = buf[start:].rstrip()
        if not tail.endswith(b"]"):
            yield from _whole_json(path, done)
            return
        row = _json_piece(tail[:-1].rstrip())
        if row is None:
            yield from _whole_json(path, done)
            return
        yield row


def _json_piece(piece: bytes) -> dict | None:
    try:
        row = _json_loads(piece)
    except ValueError:
        return None
    return row if isinstance(row, dict) else None


def _whole_json(path: str, skip: int) -> Iterator[dict]:
    records = read_records(path)
    yield from records[skip:]


class RowWriter:
    """A step file written chunk by chunk; it appears at ``path`` whole, at ``close()``, or not at all.

    ``write(rows)`` takes a DataFrame or a list of dicts. JSON and JSONL are streamed to a
    temporary file (the bytes ``write_records`` would write for all the rows at once, embedded images
    saved to ``media_dir`` as they come); other formats are kept until ``close()``. After ``close()``:
    ``rows``, and for streamed formats ``size`` and ``sha256`` of the file as written.
    """

    def __init__(self, path: str | os.PathLike, media_dir: str | os.PathLike | None = None):
        self.path = str(path)
        self.format = format_of(self.path)
        self.media_dir = media_dir or Path(self.path).parent / "media"
        self.rows = 0
        self.size = 0
        self.sha256: str | None = None
        self._digest = hashlib.sha256()
        self._kept: list[dict] = []
        self._file: AtomicFile | None = AtomicFile(self.path) if self.format in STREAMED_WRITES else None
        self._closed = False
        if self.format == "json":
            self._emit(b"[")

    @property
    def streamed(self) -> bool:
        return self._file is not None

    def _emit(self, data: bytes) -> None:
        self._file.fh.write(data)
        self._digest.update(data)
        self.size += len(data)

    def write(self, data: Any) -> None:
        import pandas as pd

        if isinstance(data, pd.DataFrame):
            records = raw_records(data) if self.streamed else records_from_frame(data)
        else:
            records = _check_records(data, "write()")
        if not records:
            return
        if not self.streamed:
            self._kept.extend(records)
        else:
            self._emit(self._encode(records))
        self.rows += len(records)

    def _encode(self, records: list[dict]) -> bytes:
        """The chunk's bytes. Plain JSON values are encoded at once; only a chunk the encoder refuses
        (bytes, images, numpy or pandas values) is searched for embedded images to save as files."""
        if orjson is not None:
            try:
                if self.format == "jsonl":
                    return b"".join([orjson.dumps(r, option=_PLAIN_JSONL) for r in records])
                return (b"\n" if self.rows == 0 else b",\n") + orjson.dumps(records, option=_PLAIN_JSON)[2:-2]
            except TypeError:
                pass
        records = externalize_media(records, self.media_dir)
        if self.format == "jsonl":
            return _write_jsonl_bytes(records)
        return _json_list_items(records, first=self.rows == 0)

    def close(self) -> str:
        """Finish the file and put it in place; returns its path."""
        if self._closed:
            return self.path
        self._closed = True
        if not self.streamed:
            write_records(self.path, self._kept, media_dir=self.media_dir)
            self._kept = []
            return self.path
        if self.format == "json":
            self._emit(b"\n]" if self.rows else b"]")
        self.sha256 = self._digest.hexdigest()
        self._file.commit()
        return self.path

    def abort(self) -> None:
        """Drop what was written; ``path`` stays as it was."""
        if not self._closed:
            self._closed = True
            self._kept = []
            if self._file is not None:
                self._file.abort()

    def __enter__(self) -> "RowWriter":
        return self

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        if exc_type is not None:
            self.abort()
        else:
            self.close()


def _json_list_items(records: list[dict], first: bool) -> bytes:
    """``records`` as items of an indented JSON list (``_dumps_json``'s layout), each preceded by
    its separator."""
    body = _dumps_json(records, indent=True)  # b"[\n  {...},\n  {...}\n]"
    if not (body.startswith(b"[\n") and body.endswith(b"\n]")):  # pragma: no cover - layout guard
        raise StorageError("unexpected JSON layout from the encoder")
    return (b"\n" if first else b",\n") + body[2:-2]

