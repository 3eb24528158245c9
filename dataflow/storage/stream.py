"""Rows a chunk at a time: reading a step file in chunks, and writing one as the chunks come.

A step that streams holds one chunk of rows at a time, whatever the number of rows. JSONL, JSON
lists, CSV and Parquet are read incrementally (a JSON list with one row per line, or indented as
this library writes it, is split at its rows; any other layout of a JSON list is read whole). JSONL
and JSON are written incrementally, byte for byte what ``write_records`` writes for the same rows;
CSV and Parquet (whose header and schema depend on every row) are assembled from chunks kept in a
temporary file, a chunk at a time; a pickle is one object, built whole at the end.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any, Iterator

from dataflow.errors import StorageError
from dataflow.storage.formats import (
    _PARQUET_JSON_COLUMNS,
    _check_records,
    _decode_json_columns,
    _dumps_json,
    _json_loads,
    _jsonl_chunks,
    _parquet_image,
    _parquet_modules,
    _read_csv_chunks,
    _to_python,
    _write_jsonl_bytes,
    format_of,
    frame_from_records,
    parquet_table,
    raw_records,
    read_records,
    records_from_frame,
    refuse_nested_csv,
    write_records,
)
from dataflow.storage.media import externalize_media
from dataflow.utils.fs import AtomicFile, atomic_path

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
        yield from _jsonl_chunks(path, rows)
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

    ``write(rows)`` takes a DataFrame or a list of dicts. JSON and JSONL are streamed to a temporary
    file: the bytes ``write_records`` would write for all the rows at once, embedded images saved to
    ``media_dir`` as they come. CSV and Parquet depend on every row (CSV's header, Parquet's schema):
    their chunks are kept in a temporary file beside the target and assembled a chunk at a time at
    ``close()``. A pickle is one object: it is built whole at ``close()``. After ``close()``:
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
        self._file: AtomicFile | None = AtomicFile(self.path) if self.format in STREAMED_WRITES else None
        self._chunks: _ChunkSpill | None = None if self._file is not None else _ChunkSpill(self.path)
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
        if self.streamed:
            self._emit(self._encode(records))
        else:
            if self.format == "csv":
                records = externalize_media(records, self.media_dir)
                refuse_nested_csv(self.path, records)
            elif self.format == "parquet":
                records = [{k: _parquet_image(v) for k, v in r.items()} for r in records]
            self._chunks.add([{str(k): _to_python(v) if self.format != "pickle" else v for k, v in r.items()}
                              for r in records])
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
            try:
                {"csv": _assemble_csv, "parquet": _assemble_parquet, "pickle": _assemble_pickle}[self.format](
                    self.path, self._chunks)
            finally:
                self._chunks.remove()
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
            if self._file is not None:
                self._file.abort()
            if self._chunks is not None:
                self._chunks.remove()

    def __enter__(self) -> "RowWriter":
        return self

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        if exc_type is not None:
            self.abort()
        else:
            self.close()


class _ChunkSpill:
    """Chunks of rows pickled one after another into a temporary file beside ``target`` (removed by
    ``remove()``, or by the next writer of ``target`` after a crash); read back one at a time."""

    def __init__(self, target: str):
        self.file = AtomicFile(target)  # never committed: only its temporary name and clean-up are used
        self.columns: dict[str, None] = {}
        self.chunks = 0

    def add(self, records: list[dict]) -> None:
        import pickle

        for record in records:
            if len(record) != len(self.columns) or any(k not in self.columns for k in record):
                self.columns.update(dict.fromkeys(record))
        pickle.dump(records, self.file.fh, protocol=pickle.HIGHEST_PROTOCOL)
        self.chunks += 1

    def __iter__(self) -> Iterator[list[dict]]:
        import pickle

        self.file.fh.flush()
        with open(self.file.tmp, "rb") as fh:
            for _ in range(self.chunks):
                yield pickle.load(fh)

    def remove(self) -> None:
        self.file.abort()


def _assemble_csv(path: str, chunks: _ChunkSpill) -> None:
    """A CSV file from spilled chunks: one header (every column, in order of first appearance)."""
    columns = list(chunks.columns)
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            if not chunks.chunks:
                frame_from_records([]).to_csv(fh, index=False)
            for k, records in enumerate(chunks):
                frame = frame_from_records(records).reindex(columns=columns)
                frame.to_csv(fh, index=False, header=k == 0)


def _assemble_parquet(path: str, chunks: _ChunkSpill) -> None:
    """A Parquet file from spilled chunks, one row group each, under one schema: columns with nested
    values (other than images) are stored as JSON text, named in the file's metadata, so that reading
    gives back exactly what was written; the chunks' own schemas are unified (a column that is null
    in one chunk and text in another is text)."""
    pa, pq = _parquet_modules()
    json_columns = [c for c in chunks.columns if c in _nested_non_image(chunks)]
    schemas = []
    for records in chunks:
        schemas.append(parquet_table(path, records, json_columns).schema)
    if not schemas:
        write_records(path, [])
        return
    schema = pa.unify_schemas([s.remove_metadata() for s in schemas], promote_options="permissive")
    schema = pa.schema([schema.field(c) for c in chunks.columns])
    schema = schema.with_metadata({_PARQUET_JSON_COLUMNS: json.dumps(json_columns).encode()}) if json_columns else schema
    with atomic_path(path) as tmp:
        with pq.ParquetWriter(tmp, schema) as writer:
            for records in chunks:
                table = parquet_table(path, records, json_columns)
                for column in schema.names:
                    if column not in table.column_names:
                        table = table.append_column(column, pa.nulls(len(table), schema.field(column).type))
                writer.write_table(table.select(schema.names).cast(schema))


def _nested_non_image(chunks: _ChunkSpill) -> set[str]:
    nested: set[str] = set()
    for records in chunks:
        for record in records:
            for key, value in record.items():
                if key not in nested and isinstance(value, (dict, list)) and not _is_image_value(value):
                    nested.add(key)
    return nested


def _is_image_value(value: Any) -> bool:
    if isinstance(value, dict):
        return "bytes" in value and isinstance(value.get("bytes"), (bytes, type(None)))
    return bool(value) and all(isinstance(v, dict) and _is_image_value(v) for v in value)


def _assemble_pickle(path: str, chunks: _ChunkSpill) -> None:
    rows: list[dict] = []
    for records in chunks:
        rows.extend(records)
    write_records(path, rows)


def _json_list_items(records: list[dict], first: bool) -> bytes:
    """``records`` as items of an indented JSON list (``_dumps_json``'s layout), each preceded by
    its separator."""
    body = _dumps_json(records, indent=True)  # b"[\n  {...},\n  {...}\n]"
    if not (body.startswith(b"[\n") and body.endswith(b"\n]")):  # pragma: no cover - layout guard
        raise StorageError("unexpected JSON layout from the encoder")
    return (b"\n" if first else b",\n") + body[2:-2]

