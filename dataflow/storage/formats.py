"""The file formats rows are kept in (JSON, JSONL, CSV, Parquet, pickle): reading, writing, round trips.


* writes are atomic (temporary file in the same folder, fsynced, then ``os.replace``);
* values round-trip exactly: a string ``"007"`` stays ``"007"``, ints stay ints, unicode and
  nested dict/list cells survive json/jsonl/parquet/pickle. CSV holds text only: every value
  reads back as a string (an empty cell as null), and nested cells are refused with a clear error;
* JSON caches are indented, keep non-ASCII characters and do not escape ``/``;
* errors name the file, the line and what was expected.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import os
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from dataflow.errors import MissingDependencyError, StorageError
from dataflow.storage.media import embedded_bytes, externalize_media, is_pil_image
from dataflow.utils.fs import atomic_path, atomic_write_bytes

try:  # orjson is ~10x faster than json for indented output; json is the fallback.
    import orjson
except ImportError:  # pragma: no cover - exercised only where orjson is missing
    orjson = None


CACHE_TYPES = ("json", "jsonl", "csv", "parquet", "pickle")
EXTENSIONS = {
    ".json": "json",
    ".jsonl": "jsonl",
    ".csv": "csv",
    ".parquet": "parquet",
    ".pkl": "pickle",
    ".pickle": "pickle",
}
OUTPUT_TYPES = ("dataframe", "dict")
_PARQUET_JSON_COLUMNS = b"dataflow.json_columns"


# --------------------------------------------------------------------------------------------
# values
# --------------------------------------------------------------------------------------------
def _to_python(value: Any) -> Any:
    """A cell as plain JSON-able Python: numpy/pandas scalars unboxed, missing values as None."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, dict):
        return {str(k): _to_python(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_python(v) for v in value]
    try:
        import pandas as pd

        if value is pd.NA or value is pd.NaT:
            return None
    except ImportError:  # pragma: no cover
        pass
    if hasattr(value, "tolist"):  # numpy arrays and scalars
        return _to_python(value.tolist())
    if hasattr(value, "isoformat"):  # datetime, pandas Timestamp
        return value.isoformat()
    return value


def json_default(value: Any) -> Any:
    """JSON for what the encoder cannot write itself. An embedded image (bytes, a PIL image) becomes
    its digest: that is what fingerprints need; step files get a path instead (``externalize_media``)."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"$bytes_sha256": hashlib.sha256(bytes(value)).hexdigest(), "size": len(value)}
    if is_pil_image(value):
        return {"$image_sha256": hashlib.sha256(embedded_bytes(value)).hexdigest()}
    converted = _to_python(value)
    if converted is value:
        raise TypeError(f"value of type {type(value).__name__} is not JSON serialisable")
    return converted


def raw_records(frame: Any) -> list[dict]:
    """Rows as dicts, built column by column (``Series.tolist`` unboxes numpy scalars in C).

    Cells may still hold NaN, ``pd.NA`` or numpy arrays: the JSON encoder's hooks handle those,
    and ``records_from_frame`` converts them for the other formats.
    """
    columns = [str(c) for c in frame.columns]
    if len(set(columns)) != len(columns):
        dupes = sorted({c for c in columns if columns.count(c) > 1})
        raise StorageError(f"cannot write a table with duplicate column names: {dupes}")
    values = [frame.iloc[:, j].tolist() for j in range(len(columns))]
    return [dict(zip(columns, row)) for row in zip(*values)] if columns else [{} for _ in range(len(frame))]


def records_from_frame(frame: Any) -> list[dict]:
    return [{k: _to_python(v) for k, v in row.items()} for row in raw_records(frame)]


def frame_from_records(records: list[dict]) -> Any:
    """A DataFrame whose cells are exactly the records' values.

    pandas would turn ``[1, None]`` into floats; a column whose values are not all of one type
    (or has nulls) is therefore kept as Python objects.
    """
    import pandas as pd

    columns: dict[str, None] = {}
    for record in records:
        for key in record:
            columns.setdefault(key, None)
    data = {}
    for column in columns:
        values = [record.get(column) for record in records]
        kinds = {type(v) for v in values}
        if len(kinds) == 1 and kinds <= {int, float, bool, str}:
            data[column] = pd.Series(values)
        else:
            data[column] = pd.Series(values, dtype=object)
    return pd.DataFrame(data, index=pd.RangeIndex(len(records)))


def _check_records(records: Any, where: str) -> list[dict]:
    if not isinstance(records, list):
        got = type(records).__name__
        if isinstance(records, dict):
            got = f"a JSON object with keys {list(records)[:10]}"
        raise StorageError(f"{where}: expected a list of objects (one per row), got {got}")
    for i, record in enumerate(records):
        if not isinstance(record, dict):
            raise StorageError(f"{where}: row {i} is a {type(record).__name__}, expected an object: {record!r:.80}")
    return records


# --------------------------------------------------------------------------------------------
# formats
# --------------------------------------------------------------------------------------------
def format_of(path: str) -> str:
    suffix = Path(path).suffix.lower()
    try:
        return EXTENSIONS[suffix]
    except KeyError:
        raise StorageError(
            f"unsupported file type '{suffix or '(none)'}' for {path!r}; "
            f"supported: {', '.join(sorted(EXTENSIONS))}"
        ) from None


def _json_loads(text: bytes) -> Any:
    return orjson.loads(text) if orjson is not None else json.loads(text)


def _decode_error(path: str, err: json.JSONDecodeError, line_offset: int = 0) -> StorageError:
    line = err.lineno + line_offset
    return StorageError(f"{path}: invalid JSON at line {line}, column {err.colno}: {err.msg}")


def _check_utf8(path: str, data: bytes, byte_offset: int = 0) -> None:
    """Raise a ``StorageError`` naming the file and byte offset of the first non-UTF-8 byte."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as err:
        offset = byte_offset + err.start
        raise StorageError(
            f"{path}: not valid UTF-8 at byte offset {offset} (byte 0x{data[err.start]:02x}); "
            "JSON files must be UTF-8. Re-encode it, e.g. iconv -f latin1 -t utf-8"
        ) from None


def _read_json(path: str) -> list[dict]:
    data = Path(path).read_bytes()
    try:
        records = _json_loads(data)
    except json.JSONDecodeError:  # orjson's error subclasses it
        _check_utf8(path, data)
        # orjson's position fields are less precise; re-parse with json for the line number.
        try:
            json.loads(data.decode("utf-8"))
        except json.JSONDecodeError as precise:
            raise _decode_error(path, precise) from None
        raise StorageError(f"{path}: invalid JSON") from None
    return _check_records(records, path)


def _jsonl_rows(path: str) -> Iterator[dict]:
    """The rows of a JSONL file one by one; errors name the line (found again only when one occurs)."""
    with open(path, "rb") as fh:
        yield from _jsonl_line_rows(path, fh, 1)


def _jsonl_chunks(path: str, rows: int) -> Iterator[list[dict]]:
    """The rows of a JSONL file, ``rows`` at a time (the last chunk may be shorter): what batching
    ``_jsonl_rows`` gives, with each block of lines parsed in one ``map`` when every line in it is a
    JSON object (blank lines and errors go row by row, errors naming the line)."""
    loads = _json_loads
    pending: list[dict] = []
    lineno = 1
    with open(path, "rb") as fh:
        while lines := list(itertools.islice(fh, rows)):
            try:
                records = list(map(loads, lines))
                plain = all(type(r) is dict for r in records)
            except json.JSONDecodeError:  # orjson's error subclasses it
                plain = False
            if not plain:
                records = list(_jsonl_line_rows(path, lines, lineno))
            lineno += len(lines)
            pending = pending + records if pending else records
            while len(pending) >= rows:
                yield pending[:rows] if len(pending) > rows else pending
                pending = pending[rows:]
    if pending:
        yield pending


def _jsonl_line_rows(path: str, lines: Iterable[bytes], first_lineno: int) -> Iterator[dict]:
    """The rows of JSONL ``lines`` (numbered from ``first_lineno``): blank lines skipped, errors naming
    the line."""
    loads = _json_loads
    for lineno, line in enumerate(lines, start=first_lineno):
        try:
            record = loads(line)
        except json.JSONDecodeError:
            if not line.strip():
                continue
            _jsonl_error(path, lineno, line)
        if type(record) is not dict:
            if isinstance(record, dict):
                yield record
                continue
            raise StorageError(
                f"{path}: line {lineno} is a JSON {type(record).__name__}, expected an object (one row per line)"
            )
        yield record


def _jsonl_error(path: str, lineno: int, line: bytes) -> None:
    """Raise the ``StorageError`` for a JSONL line that does not parse, naming the line and the byte."""
    line_start = 0
    with open(path, "rb") as fh:
        for _ in range(lineno - 1):
            line_start += len(fh.readline())
    _check_utf8(path, line, line_start)
    try:
        json.loads(line.decode("utf-8"))
    except json.JSONDecodeError as precise:
        raise _decode_error(path, precise, line_offset=lineno - 1) from None
    raise StorageError(f"{path}: invalid JSON at line {lineno}") from None


def _read_jsonl(path: str, limit: int | None = None) -> list[dict]:
    """The rows of a JSONL file (the first ``limit`` of them when given), errors naming the line."""
    rows = _jsonl_rows(path)
    return list(rows) if limit is None else list(itertools.islice(rows, limit))


def _read_csv_chunks(path: str, rows: int) -> Iterator[list[dict]]:
    """A CSV file's rows, ``rows`` at a time, every value as text (an empty cell as null)."""
    import pandas as pd

    with pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], chunksize=rows) as reader:
        for frame in reader:
            frame = frame.astype(object)
            yield raw_records(frame.where(frame.notna(), None))


def _read_csv(path: str) -> Any:
    import pandas as pd

    frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    frame = frame.astype(object)
    return frame.where(frame.notna(), None)


def _parquet_modules():
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise MissingDependencyError("pyarrow", "parquet", "Parquet storage") from None
    return pa, pq


def _read_parquet(path: str) -> list[dict]:
    _, pq = _parquet_modules()
    table = pq.read_table(path)
    return _decode_json_columns(table.to_pylist(), table.schema.metadata)


def _decode_json_columns(records: list[dict], metadata: dict | None) -> list[dict]:
    """Records with the columns the writer stored as JSON text (named in the file's metadata) decoded."""
    meta = metadata or {}
    json_columns = json.loads(meta[_PARQUET_JSON_COLUMNS]) if _PARQUET_JSON_COLUMNS in meta else []
    for record in records:
        for column in json_columns:
            if record.get(column) is not None:
                record[column] = json.loads(record[column])
    return records


def _read_pickle(path: str) -> Any:
    import pandas as pd

    data = pd.read_pickle(path)
    if isinstance(data, list):
        return _check_records(data, path)
    if not isinstance(data, pd.DataFrame):
        raise StorageError(f"{path}: expected a pickled DataFrame or list of dicts, got {type(data).__name__}")
    return data


def read_records(path: str) -> Any:
    """Read a file into a list of dicts (or a DataFrame for csv/pickle), by its extension."""
    fmt = format_of(path)
    reader = {
        "json": _read_json,
        "jsonl": _read_jsonl,
        "csv": _read_csv,
        "parquet": _read_parquet,
        "pickle": _read_pickle,
    }[fmt]
    return reader(path)


def _json_list_head(path: str, n: int) -> list[dict] | None:
    """The first ``n`` rows of a JSON list file, parsed incrementally; None if it is not a list."""
    decoder = json.JSONDecoder()
    records: list[dict] = []
    with open(path, "rb") as fh:
        text, pos, eof = "", 0, False

        def more() -> bool:
            nonlocal text, eof
            block = fh.read(1 << 16)
            eof = not block
            text += block.decode("utf-8", errors="replace")
            return not eof

        def skip(chars: str) -> None:
            nonlocal pos
            while True:
                while pos < len(text) and text[pos] in chars:
                    pos += 1
                if pos < len(text) or not more():
                    return

        skip(" \t\r\n\ufeff")
        if pos >= len(text) or text[pos] != "[":
            return None
        pos += 1
        while len(records) < n:
            skip(" \t\r\n,")
            if pos >= len(text) or text[pos] == "]":
                break
            while True:
                try:
                    value, pos = decoder.raw_decode(text, pos)
                    break
                except json.JSONDecodeError:
                    if not more():
                        raise StorageError(f"{path}: invalid JSON in row {len(records)}") from None
            records.append(value)
    return _check_records(records, path)


def _parquet_head(path: str, n: int) -> list[dict]:
    _, pq = _parquet_modules()
    parquet = pq.ParquetFile(path)
    batch = next(parquet.iter_batches(batch_size=n), None)
    return _decode_json_columns(batch.to_pylist() if batch is not None else [], parquet.schema_arrow.metadata)


def read_head(path: str, n: int = 8) -> Any:
    """The first ``n`` rows of a file, as a DataFrame, reading no more of it than that where the format
    allows (JSON lists, JSONL, CSV, Parquet; pickles are read whole). An empty Parquet file keeps its columns."""
    import pandas as pd

    fmt = format_of(path)
    if fmt == "json":
        records = _json_list_head(path, n)
        return read_frame(path) if records is None else convert_rows(records, "dataframe")
    if fmt == "jsonl":
        return convert_rows(_read_jsonl(path, n), "dataframe")
    if fmt == "csv":
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], nrows=n).astype(object)
        return frame.where(frame.notna(), None)
    if fmt == "parquet":
        records = _parquet_head(path, n)
        if not records:
            _, pq = _parquet_modules()
            return pd.DataFrame(columns=pq.ParquetFile(path).schema_arrow.names)
        return convert_rows(records, "dataframe")
    return read_frame(path).head(n)


def read_frame(path: str) -> Any:
    """Read a file (format from its extension) into a DataFrame whose cells are exactly the file's values."""
    return convert_rows(read_records(path), "dataframe")


def _dumps_json(records: list[dict], indent: bool) -> bytes:
    if orjson is not None:
        option = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS
        if indent:
            option |= orjson.OPT_INDENT_2
        try:
            return orjson.dumps(records, option=option, default=json_default)
        except TypeError:
            pass  # e.g. ints wider than 64 bits: the json module handles them
    records = [{str(k): _to_python(v) for k, v in r.items()} for r in records]
    text = json.dumps(records, ensure_ascii=False, indent=2 if indent else None, default=json_default)
    return text.encode("utf-8")


def _write_jsonl_bytes(records: list[dict]) -> bytes:
    if orjson is not None:
        option = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS | orjson.OPT_APPEND_NEWLINE
        try:
            return b"".join([orjson.dumps(r, option=option, default=json_default) for r in records])
        except TypeError:
            pass
    records = [{str(k): _to_python(v) for k, v in r.items()} for r in records]
    return "".join(json.dumps(r, ensure_ascii=False, default=json_default) + "\n" for r in records).encode("utf-8")


def _parquet_image(value: Any) -> Any:
    if is_pil_image(value):
        return {"bytes": embedded_bytes(value), "path": None}
    if isinstance(value, list) and any(is_pil_image(v) for v in value):
        return [_parquet_image(v) for v in value]
    return value


def _nested_columns(records: list[dict]) -> list[str]:
    nested: dict[str, None] = {}
    for record in records:
        for key, value in record.items():
            if isinstance(value, (dict, list)):
                nested.setdefault(key, None)
    return list(nested)


def refuse_nested_csv(path: str, records: list[dict]) -> None:
    """Raise the error for rows that CSV cannot hold (lists or objects in a cell), naming the columns."""
    nested = _nested_columns(records)
    if nested:
        raise StorageError(
            f"cannot write {path}: CSV holds text only, and column(s) {nested} hold lists or objects. "
            "Use cache_type='json', 'jsonl', 'parquet' or 'pickle' for nested data."
        )


def _write_csv(path: str, records: list[dict], frame: Any) -> None:
    refuse_nested_csv(path, records)
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False)


def _with_every_column(records: list[dict]) -> list[dict]:
    """Records that all have every column (null where a record has none, as in a DataFrame): Arrow
    takes its columns from the first record alone."""
    columns = list(dict.fromkeys(k for r in records for k in r))
    if all(len(r) == len(columns) for r in records):
        return records
    return [{c: r.get(c) for c in columns} for r in records]


def parquet_table(path: str, records: list[dict], json_columns: Sequence[str]) -> Any:
    """An Arrow table of ``records`` (every column in every row) with ``json_columns`` as JSON text."""
    pa, _ = _parquet_modules()
    encoded = [
        {k: (json.dumps(v, ensure_ascii=False) if k in json_columns and v is not None else v) for k, v in r.items()}
        for r in _with_every_column(records)
    ]
    try:
        return pa.Table.from_pylist(encoded)
    except (pa.ArrowException, TypeError, ValueError, OverflowError) as err:
        raise StorageError(f"cannot write {path} as Parquet: {err}") from err


def _write_parquet(path: str, records: list[dict]) -> None:
    pa, pq = _parquet_modules()
    records = _with_every_column(records)
    table = None
    try:
        table = pa.Table.from_pylist(records)
        if table.to_pylist() != records:  # e.g. structs gained keys, or types were coerced
            table = None
    except (pa.ArrowException, TypeError, ValueError, OverflowError):
        table = None
    if table is not None:
        try:
            with atomic_path(path) as tmp:
                pq.write_table(table, tmp)
            return
        except pa.ArrowException:  # e.g. an empty struct, which Parquet cannot hold
            pass
    # Native nesting would not round-trip: store nested columns as JSON text and say so in the
    # file's metadata, so that reading gives back exactly what was written.
    json_columns = _nested_columns(records)
    table = parquet_table(path, records, json_columns)
    table = table.replace_schema_metadata(
        {**(table.schema.metadata or {}), _PARQUET_JSON_COLUMNS: json.dumps(json_columns).encode()}
    )
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp)


def write_records(path: str, data: Any, media_dir: str | os.PathLike | None = None) -> str:
    """Write a DataFrame or a list of dicts to ``path`` atomically, in the format of its extension.

    Embedded images (bytes, ``{"bytes", "path"}`` dicts, PIL images) go to ``media_dir`` (default:
    ``media/`` beside ``path``) as files, and their paths into JSON, JSONL and CSV files; Parquet
    keeps the bytes (a PIL image as ``{"bytes": <PNG>, "path": None}``); pickle keeps the objects.
    """
    fmt = format_of(path)
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        frame = data
        records = raw_records(data)
    elif isinstance(data, list):
        records = _check_records(data, "write()")
        frame = None
    else:
        raise StorageError(f"write() takes a pandas DataFrame or a list of dicts, got {type(data).__name__}")

    if fmt in ("json", "jsonl", "csv"):
        externalized = externalize_media(records, media_dir or Path(path).parent / "media")
        if externalized is not records:
            records, frame = externalized, None
    elif fmt == "parquet":
        records = [{k: _parquet_image(v) for k, v in r.items()} for r in records]
    if fmt == "json":
        atomic_write_bytes(path, _dumps_json(records, indent=True))
        return path
    if fmt == "jsonl":
        atomic_write_bytes(path, _write_jsonl_bytes(records))
        return path
    records = [{str(k): _to_python(v) for k, v in r.items()} for r in records]
    if fmt == "csv":
        _write_csv(path, records, frame if frame is not None else frame_from_records(records))
    elif fmt == "parquet":
        _write_parquet(path, records)
    else:  # pickle
        with atomic_path(path) as tmp:
            (frame if frame is not None else frame_from_records(records)).to_pickle(tmp)
    return path


def convert_rows(data: Any, output_type: str) -> Any:
    import pandas as pd

    if output_type == "dataframe":
        return data if isinstance(data, pd.DataFrame) else frame_from_records(data)
    if isinstance(data, pd.DataFrame):
        return records_from_frame(data)
    return data

