"""``FileStorage``: the rows that flow between operators, one file per operator step.

Step 0 is the user's first-entry file, step ``n >= 1`` is
``{cache_path}/{file_name_prefix}_step{n}.{cache_type}``. Each operator reads the current step and
writes the next one. Beyond upstream:

* writes are atomic (temporary file in the same folder, fsynced, then ``os.replace``);
* values round-trip exactly: a string ``"007"`` stays ``"007"``, ints stay ints, unicode and
  nested dict/list cells survive json/jsonl/parquet/pickle. CSV holds text only: every value
  reads back as a string (an empty cell as null), and nested cells are refused with a clear error;
* JSON caches are indented, keep non-ASCII characters and do not escape ``/``;
* errors name the file, the line and what was expected.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any, Iterator

from dataflow.core.storage import DataFlowStorage
from dataflow.errors import StorageError
from dataflow.storage.formats import CACHE_TYPES, OUTPUT_TYPES, convert_rows, format_of, read_head, read_records, write_records
from dataflow.storage.media import resolve_media_cell, resolve_media_path
from dataflow.storage.sources import read_folder, read_hf
from dataflow.storage.stream import RowWriter, iter_record_chunks

class FileStorage(DataFlowStorage):
    """Rows kept in one file per operator step.

    Args:
        first_entry_file_name: the input file (``.json``, ``.jsonl``, ``.csv``, ``.parquet``,
            ``.pkl``); a folder of photos (one row per photo, with the ContextVQA conversation) or of
            data shards (rows from every shard); or ``hf:dataset[:config][:split]`` for a Hugging Face
            dataset, a local folder of its files or a ``save_to_disk`` folder (needs the ``datasets``
            extra). Image cells may hold paths, URLs, ``data:`` URIs, bytes, ``{"bytes", "path"}``
            dicts or PIL images (``dataflow.storage.media``).
        cache_path: folder of the step files.
        file_name_prefix: step files are ``{file_name_prefix}_step{n}.{cache_type}``.
        cache_type: one of ``json``, ``jsonl``, ``csv``, ``parquet``, ``pickle``.

    Example:
        >>> storage = FileStorage("data.json", cache_path="./cache", cache_type="json")
        >>> frame = storage.step().read("dataframe")      # reads data.json
        >>> storage.write(frame)                           # writes ./cache/dataflow_cache_step1.json
    """

    def __init__(
        self,
        first_entry_file_name: str,
        cache_path: str = "./cache",
        file_name_prefix: str = "dataflow_cache",
        cache_type: str = "jsonl",
    ):
        if cache_type not in CACHE_TYPES:
            raise StorageError(
                f"The 'cache_type' parameter of FileStorage must be a str among {list(CACHE_TYPES)}. "
                f"Got {cache_type!r} instead."
            )
        if not isinstance(first_entry_file_name, (str, os.PathLike)) or not str(first_entry_file_name):
            raise StorageError(
                f"The 'first_entry_file_name' parameter of FileStorage must be a file path. Got {first_entry_file_name!r}."
            )
        self.first_entry_file_name = str(first_entry_file_name)
        self.cache_path = str(cache_path)
        self.file_name_prefix = file_name_prefix
        self.cache_type = cache_type
        self.operator_step = -1

    # -- steps --------------------------------------------------------------------------------
    def step(self) -> "FileStorage":
        """Advance to the next operator step and return a storage bound to it.

        The returned object is a copy, so an operator keeps reading and writing its own step
        even after the pipeline steps on.
        """
        self.operator_step += 1
        return copy.copy(self)

    def reset(self) -> "FileStorage":
        """Go back to before the first step."""
        self.operator_step = -1
        return self

    def step_path(self, step: int) -> str:
        """The file of step ``step``: the first-entry file for 0, else ``{cache_path}/{prefix}_step{n}.{type}``."""
        if step == 0:
            return self.first_entry_file_name
        return os.path.join(self.cache_path, f"{self.file_name_prefix}_step{step}.{self.cache_type}")

    _get_cache_file_path = step_path  # upstream's name

    def _require_step(self, action: str) -> None:
        if self.operator_step < 0:
            raise StorageError(
                f"FileStorage.{action}() was called before step(). Call storage.step() first; "
                "in a pipeline, pass `storage=self.storage.step()` to each operator's run()."
            )

    @property
    def read_path(self) -> str:
        """The file the current step reads."""
        self._require_step("read")
        return self.step_path(self.operator_step)

    @property
    def write_path(self) -> str:
        """The file the current step writes."""
        self._require_step("write")
        return self.step_path(self.operator_step + 1)

    # -- media --------------------------------------------------------------------------------
    @property
    def media_root(self) -> str | None:
        """The folder relative media paths are resolved against (the first-entry file's folder, or the
        first entry itself when it is a folder)."""
        if self.first_entry_file_name.startswith("hf:"):
            return None
        entry = Path(self.first_entry_file_name).expanduser().resolve()
        return str(entry if entry.is_dir() else entry.parent)

    def resolve_media_path(self, path: str) -> str:
        """Resolve one media path (see ``dataflow.storage.media`` for the rule)."""
        return resolve_media_path(path, self.media_root)

    def resolve_media(self, cell: Any) -> list[str]:
        """Resolve a media cell (path, list of paths, empty list or null) to a list of paths."""
        return resolve_media_cell(cell, self.media_root)

    # -- read / write ---------------------------------------------------------------------------
    def _read_first_entry(self, head: int | None = None) -> Any:
        source = self.first_entry_file_name
        if source.startswith("hf:"):
            return read_hf(source, head)
        path = self._first_entry_path()
        if path.is_dir():
            return read_folder(path, head)
        return read_head(str(path), head) if head is not None else read_records(str(path))

    def _first_entry_path(self) -> Path:
        """The first entry's path, once it is known to be a folder or a file of a supported type."""
        source = self.first_entry_file_name
        path = Path(source).expanduser()
        if not path.is_dir():
            format_of(source)  # unsupported extensions fail before the existence check
        if not path.exists():
            raise StorageError(
                f"First entry file not found: {str(path.resolve())!r} "
                f"(first_entry_file_name={source!r}, working directory: {os.getcwd()!r})"
            )
        if not (path.is_file() or path.is_dir()):
            raise StorageError(f"First entry {str(path.resolve())!r} is neither a file nor a folder")
        return path

    def read_head(self, n: int = 8) -> Any:
        """The first ``n`` rows of the current step's input as a DataFrame, reading as little as the
        format allows (``PipelineABC.compile()`` uses it to check columns and media in seconds)."""
        self._require_step("read")
        if self.operator_step == 0:
            return convert_rows(self._read_first_entry(head=n), "dataframe")
        return read_head(self.step_path(self.operator_step), n)

    def read(self, output_type: str = "dataframe") -> Any:
        """The current step's rows, as a DataFrame (``"dataframe"``) or a list of dicts (``"dict"``)."""
        if output_type not in OUTPUT_TYPES:
            raise StorageError(
                f"The 'output_type' parameter of FileStorage.read must be a str among {list(OUTPUT_TYPES)}. "
                f"Got {output_type!r} instead."
            )
        self._require_step("read")
        if self.operator_step == 0:
            data = self._read_first_entry()
        else:
            path = self.step_path(self.operator_step)
            if not os.path.exists(path):
                raise StorageError(
                    f"Step {self.operator_step} has no data: {os.path.abspath(path)!r} does not exist. "
                    f"Files in {os.path.abspath(self.cache_path)!r}: {self._existing_steps()}. "
                    "Did the previous operator run and write its output?"
                )
            data = read_records(path)
        return convert_rows(data, output_type)

    def read_chunks(self, rows: int = 4096) -> Iterator[list[dict]]:
        """The current step's rows as lists of at most ``rows`` dicts, in order, holding one chunk at a
        time where the format allows (``dataflow.storage.stream``): how a streaming step reads."""
        self._require_step("read")
        if self.operator_step == 0:
            source = self.first_entry_file_name
            if source.startswith("hf:") or self._first_entry_path().is_dir():
                records = convert_rows(self._read_first_entry(), "dict")
                for start in range(0, len(records), rows):
                    yield records[start : start + rows]
                return
            yield from iter_record_chunks(str(self._first_entry_path()), rows)
            return
        path = self.step_path(self.operator_step)
        if not os.path.exists(path):
            self.read("dict")  # raises the error that says which steps exist
        yield from iter_record_chunks(path, rows)

    def writer(self, path: str | None = None) -> RowWriter:
        """A ``RowWriter`` for the next step's file (or ``path`` beside it): rows written chunk by
        chunk, the file in place, whole, when it is closed."""
        self._require_step("write")
        return RowWriter(path or self.step_path(self.operator_step + 1), media_dir=self.media_dir)

    def _existing_steps(self) -> list[str]:
        try:
            return sorted(n for n in os.listdir(self.cache_path) if n.startswith(self.file_name_prefix + "_step"))
        except OSError:
            return []

    def write(self, data: Any) -> str:
        """Write ``data`` (DataFrame or list of dicts) as the next step; return the file's path."""
        self._require_step("write")
        path = self.step_path(self.operator_step + 1)
        return write_records(path, data, media_dir=self.media_dir)

    @property
    def media_dir(self) -> str:
        """Where embedded images of text step files go: ``{cache_path}/media``, one file per content."""
        return os.path.join(self.cache_path, "media")

    def __repr__(self) -> str:
        return (
            f"FileStorage(first_entry_file_name={self.first_entry_file_name!r}, cache_path={self.cache_path!r}, "
            f"file_name_prefix={self.file_name_prefix!r}, cache_type={self.cache_type!r}, step={self.operator_step})"
        )
