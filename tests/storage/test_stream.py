"""Rows a chunk at a time: ``RowWriter`` and ``iter_record_chunks`` agree with the whole-file functions
for any rows and any chunking (hypothesis), in every format."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dataflow.errors import StorageError
from dataflow.storage.formats import write_records
from dataflow.storage.stream import RowWriter, iter_record_chunks

# text that looks like JSON structure: row separators must never be confused with string contents
TRICKY = st.lists(st.sampled_from(list('ab{}[],:"\\\n\r\t é中 ') + ["},\n  {", "},\n{"]), max_size=8).map("".join)
SCALAR = st.one_of(st.none(), st.booleans(), st.integers(-2**40, 2**40), TRICKY)
NESTED = st.recursive(SCALAR, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                      st.dictionaries(st.sampled_from("qxyz"), inner, max_size=3)),
                      max_leaves=6)
KEYS = st.sampled_from(["id", "text", "qas", "image", "score"])
ROWS = st.lists(st.dictionaries(KEYS, NESTED, min_size=1), max_size=25)
FLAT_ROWS = st.lists(st.fixed_dictionaries({"id": st.integers(0, 10**6), "text": st.one_of(st.none(), TRICKY)}),
                     max_size=25)


def chunked(rows, size):
    return [rows[i : i + size] for i in range(0, len(rows), size)]


def write_in_chunks(path, rows, size):
    with RowWriter(str(path)) as writer:
        for chunk in chunked(rows, size):
            writer.write(chunk)
    return writer


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(rows=ROWS, size=st.integers(1, 7), fmt=st.sampled_from(["json", "jsonl"]))
def test_json_and_jsonl_are_written_byte_for_byte_as_the_whole_file_writer_does(tmp_path, rows, size, fmt):
    whole, streamed = tmp_path / f"whole.{fmt}", tmp_path / f"streamed.{fmt}"
    write_records(str(whole), rows)
    writer = write_in_chunks(streamed, rows, size)
    assert streamed.read_bytes() == whole.read_bytes()
    assert writer.rows == len(rows) and writer.size == streamed.stat().st_size
    assert [r for chunk in iter_record_chunks(str(streamed), size) for r in chunk] == rows


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(rows=ROWS, size=st.integers(1, 7))
def test_parquet_and_pickle_read_back_what_the_whole_file_writer_gives(tmp_path, rows, size):
    for fmt in ("parquet", "pickle"):
        whole, streamed = tmp_path / f"whole.{fmt}", tmp_path / f"streamed.{fmt}"
        try:
            write_records(str(whole), rows)
        except StorageError:
            continue  # values Parquet cannot hold at all (mixed types in a column) fail either way
        write_in_chunks(streamed, rows, size)
        expected = [r for chunk in iter_record_chunks(str(whole), 4) for r in chunk]
        assert [r for chunk in iter_record_chunks(str(streamed), size) for r in chunk] == expected


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(rows=FLAT_ROWS, size=st.integers(1, 7))
def test_csv_is_written_as_the_whole_file_writer_does(tmp_path, rows, size):
    whole, streamed = tmp_path / "whole.csv", tmp_path / "streamed.csv"
    write_records(str(whole), rows)
    write_in_chunks(streamed, rows, size)
    assert streamed.read_bytes() == whole.read_bytes()


@settings(max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(rows=st.lists(st.dictionaries(KEYS, NESTED, min_size=1), min_size=1, max_size=20),
       layout=st.sampled_from(["per_line", "compact", "indent4", "crlf"]), size=st.integers(1, 5))
def test_json_lists_in_any_layout_are_read_in_chunks(tmp_path, rows, layout, size):
    path = tmp_path / "rows.json"
    if layout == "per_line":
        text = "[\n" + ",\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n]\n"
    elif layout == "compact":
        text = json.dumps(rows)
    elif layout == "indent4":
        text = json.dumps(rows, indent=4)
    else:
        text = "[\r\n" + ",\r\n".join(json.dumps(r) for r in rows) + "\r\n]"
    path.write_text(text, encoding="utf-8")
    assert [r for chunk in iter_record_chunks(str(path), size) for r in chunk] == rows


def test_a_broken_json_list_is_reported_with_its_line(tmp_path):
    path = tmp_path / "rows.json"
    path.write_text('[\n{"a": 1},\n{"a": 2,,},\n{"a": 3}\n]')
    with pytest.raises(StorageError, match="line 3"):
        list(iter_record_chunks(str(path), 1))


def test_an_aborted_writer_leaves_the_old_file_and_no_temporary_file(tmp_path):
    for fmt in ("json", "jsonl", "csv", "parquet", "pickle"):
        path = tmp_path / f"step.{fmt}"
        write_records(str(path), [{"a": 1}])
        before = path.read_bytes()
        with pytest.raises(RuntimeError):
            with RowWriter(str(path)) as writer:
                writer.write([{"a": 2}])
                raise RuntimeError("killed")
        assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"step.{f}" for f in ("csv", "json", "jsonl", "parquet", "pickle")]
