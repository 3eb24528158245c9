"""Reading JSONL a chunk at a time gives exactly the rows, chunks and errors of reading it row by row."""

from __future__ import annotations

import json
import os
import tempfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dataflow.errors import StorageError
from dataflow.storage.formats import _jsonl_chunks, _jsonl_rows
from dataflow.storage.stream import _batched

_ROW = st.dictionaries(st.text(max_size=5), st.one_of(st.integers(), st.text(max_size=8), st.none()), max_size=3)
_LINE = st.one_of(
    _ROW.map(lambda r: json.dumps(r, ensure_ascii=False)),
    st.sampled_from(["", "   ", "\t", "[1, 2]", "3", '"text"', "{not json", '{"a": 1', "\r"]),
)


def _outcome(read):
    try:
        return "ok", read()
    except StorageError as error:
        return "error", str(error)


@settings(max_examples=300, deadline=None)
@given(st.lists(_LINE, max_size=30), st.integers(1, 7), st.booleans())
def test_chunks_equal_the_rows_batched(lines, rows, final_newline):
    text = "\n".join(lines) + ("\n" if final_newline and lines else "")
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "rows.jsonl")
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
        expected = _outcome(lambda: list(_batched(_jsonl_rows(path), rows)))
        got = _outcome(lambda: list(_jsonl_chunks(path, rows)))
    assert got == expected


def test_a_bad_line_deep_in_a_chunk_is_named(tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_text("".join(json.dumps({"i": i}) + "\n" for i in range(10)) + "\n" + '{"i": 10,}\n')
    chunks = _jsonl_chunks(str(path), 4)
    assert [len(next(chunks)), len(next(chunks))] == [4, 4]  # the rows before the bad line come first
    with pytest.raises(StorageError, match="line 12, column 10"):
        next(chunks)
