import json
import os

import pandas as pd
import pytest

from dataflow.errors import StorageError
from dataflow.utils.storage import CACHE_TYPES, FileStorage

ROWS = [
    {"id": "007", "n": 1, "x": 0.5, "flag": True, "text": "héllo wörld ✓ 你好 / slash", "img": ["a/b.png"],
     "meta": {"k": [1, 2, {"deep": "v"}]}, "maybe": None},
    {"id": "010", "n": 2, "x": 1.25, "flag": False, "text": "second", "img": [],
     "meta": {"k": []}, "maybe": 3},
]
NESTED_FORMATS = [t for t in CACHE_TYPES if t != "csv"]


def write_input(tmp_path, rows=ROWS, name="input.json"):
    path = tmp_path / name
    if name.endswith(".jsonl"):
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    else:
        path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.mark.parametrize("cache_type", NESTED_FORMATS)
@pytest.mark.parametrize("as_frame", [True, False])
def test_values_round_trip_exactly(tmp_path, cache_type, as_frame):
    storage = FileStorage(str(write_input(tmp_path)), cache_path=str(tmp_path / "c"), cache_type=cache_type)
    first = storage.step()
    data = first.read("dataframe" if as_frame else "dict")
    path = first.write(data)
    assert path == str(tmp_path / "c" / f"dataflow_cache_step1.{cache_type}")
    second = storage.step()
    assert second.read("dict") == ROWS
    frame = second.read("dataframe")
    assert frame["id"].tolist() == ["007", "010"]
    assert frame["maybe"].tolist() == [None, 3]


def test_string_ids_survive_every_read_of_jsonl_input(tmp_path):
    storage = FileStorage(str(write_input(tmp_path, name="input.jsonl")), cache_path=str(tmp_path / "c"))
    frame = storage.step().read()
    assert frame["id"].tolist() == ["007", "010"]


def test_json_cache_is_readable(tmp_path):
    storage = FileStorage(str(write_input(tmp_path)), cache_path=str(tmp_path / "c"), cache_type="json")
    step = storage.step()
    text = open(step.write(step.read()), encoding="utf-8").read()
    assert "\n  {" in text  # indented
    assert "你好" in text and "\\u" not in text
    assert "a/b.png" in text and "\\/" not in text


def test_csv_refuses_nested_cells_with_clear_error(tmp_path):
    storage = FileStorage(str(write_input(tmp_path)), cache_path=str(tmp_path / "c"), cache_type="csv")
    step = storage.step()
    with pytest.raises(StorageError, match=r"CSV holds text only.*'img'.*'meta'"):
        step.write(step.read())
    assert not (tmp_path / "c").exists() or not os.listdir(tmp_path / "c")  # nothing half-written


def test_csv_round_trips_flat_text(tmp_path):
    rows = [{"id": "007", "text": "a, \"quoted\"\nline", "empty": None}]
    storage = FileStorage(str(write_input(tmp_path, rows)), cache_path=str(tmp_path / "c"), cache_type="csv")
    storage.step().write(rows)
    assert storage.step().read("dict") == rows


def test_step_files_and_reset(tmp_path):
    storage = FileStorage(str(write_input(tmp_path)), cache_path=str(tmp_path / "c"), file_name_prefix="p", cache_type="jsonl")
    s1 = storage.step()
    s1.write(s1.read())
    s2 = storage.step()
    assert s2.read_path.endswith("p_step1.jsonl") and s2.write_path.endswith("p_step2.jsonl")
    # the copy returned by step() keeps its own step
    assert s1.read_path == str(tmp_path / "input.json")
    storage.reset()
    assert storage.step().read_path == str(tmp_path / "input.json")


def test_read_before_step_is_a_clear_error(tmp_path):
    storage = FileStorage(str(write_input(tmp_path)))
    with pytest.raises(StorageError, match="before step"):
        storage.read()
    with pytest.raises(StorageError, match="before step"):
        storage.write(ROWS)


def test_missing_first_entry_names_path_and_cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    storage = FileStorage("./nope/data.json")
    with pytest.raises(StorageError) as err:
        storage.step().read()
    assert str(tmp_path / "nope" / "data.json") in str(err.value)
    assert "working directory" in str(err.value) and str(tmp_path) in str(err.value)


def test_unsupported_extension(tmp_path):
    path = tmp_path / "data.xml"
    path.write_text("<a/>")
    with pytest.raises(StorageError, match=r"unsupported file type '.xml'.*\.jsonl"):
        FileStorage(str(path)).step().read()


def test_bad_cache_type_and_output_type(tmp_path):
    with pytest.raises(StorageError, match=r"'cache_type' parameter .* Got 'yaml'"):
        FileStorage("x.json", cache_type="yaml")
    with pytest.raises(StorageError, match=r"'output_type'.*Got 'rows'"):
        FileStorage(str(write_input(tmp_path))).step().read("rows")


def test_malformed_json_names_file_and_line(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('[\n  {"a": 1},\n  {"a": 2,,}\n]')
    with pytest.raises(StorageError, match=r"bad.json: invalid JSON at line 3"):
        FileStorage(str(path)).step().read()


def test_malformed_jsonl_names_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"a": 1}\n\n{"a": oops}\n')
    with pytest.raises(StorageError, match=r"bad.jsonl: invalid JSON at line 3"):
        FileStorage(str(path)).step().read()


@pytest.mark.parametrize("name", ["latin1.json", "latin1.jsonl"])
def test_non_utf8_input_names_the_file_and_byte_offset(tmp_path, name):
    path = tmp_path / name
    row = '{"caption": "caf\u00e9", "image": "a.png"}'
    body = f"[{row}, {row}]" if name.endswith(".json") else f"{row}\n{row}\n"
    path.write_bytes(body.encode("latin-1"))  # é as one byte 0xe9: not UTF-8
    first = body.encode("latin-1").index(b"\xe9")
    with pytest.raises(StorageError, match=rf"{name}: not valid UTF-8 at byte offset {first} \(byte 0xe9\)"):
        FileStorage(str(path)).step().read()


@pytest.mark.parametrize(
    "content, message",
    [
        ('{"image": "a.png"}', r"expected a list of objects .* JSON object with keys \['image'\]"),
        ('[1, 2]', r"row 0 is a int, expected an object"),
        ('"text"', r"expected a list of objects .* got str"),
    ],
)
def test_input_that_is_not_a_list_of_objects(tmp_path, content, message):
    path = tmp_path / "data.json"
    path.write_text(content)
    with pytest.raises(StorageError, match=message):
        FileStorage(str(path)).step().read()


def test_jsonl_line_that_is_not_an_object(tmp_path):
    path = tmp_path / "data.jsonl"
    path.write_text('{"a": 1}\n[1]\n')
    with pytest.raises(StorageError, match="line 2 is a JSON list"):
        FileStorage(str(path)).step().read()


def test_missing_step_file_says_what_exists(tmp_path):
    storage = FileStorage(str(write_input(tmp_path)), cache_path=str(tmp_path / "c"))
    storage.step()
    with pytest.raises(StorageError, match="Step 1 has no data"):
        storage.step().read()


def test_write_is_atomic_and_leaves_no_temp_files(tmp_path):
    storage = FileStorage(str(write_input(tmp_path)), cache_path=str(tmp_path / "c"), cache_type="json")
    step = storage.step()
    step.write(ROWS)

    class Boom:
        pass

    with pytest.raises(Exception):
        step.write([{"bad": Boom()}])
    assert os.listdir(tmp_path / "c") == ["dataflow_cache_step1.json"]
    assert json.loads((tmp_path / "c" / "dataflow_cache_step1.json").read_text()) == ROWS


def test_write_rejects_other_types(tmp_path):
    step = FileStorage(str(write_input(tmp_path)), cache_path=str(tmp_path / "c")).step()
    with pytest.raises(StorageError, match="takes a pandas DataFrame or a list of dicts"):
        step.write("rows")


def test_parquet_keeps_native_nesting_when_it_round_trips(tmp_path):
    import pyarrow.parquet as pq

    rows = [{"id": "1", "qas": [{"question": "q", "answer": "a"}]}, {"id": "2", "qas": []}]
    storage = FileStorage(str(write_input(tmp_path, rows)), cache_path=str(tmp_path / "c"), cache_type="parquet")
    path = storage.step().write(rows)
    assert pq.read_schema(path).field("qas").type.value_type.num_fields == 2  # a real struct column
    assert storage.step().read("dict") == rows


def test_pickle_of_frame_keeps_dtypes(tmp_path):
    frame = pd.DataFrame({"id": ["007"], "n": [3]})
    storage = FileStorage(str(write_input(tmp_path)), cache_path=str(tmp_path / "c"), cache_type="pickle")
    storage.step().write(frame)
    out = storage.step().read()
    assert out["id"].tolist() == ["007"] and out["n"].tolist() == [3]


def test_hf_source_needs_datasets_with_install_hint(tmp_path, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == "datasets":
            raise ImportError("no datasets")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(ImportError, match=r"pip install 'open-dataflow-mm\[datasets\]'"):
        FileStorage("hf:some/dataset:default:train").step().read()


@pytest.mark.parametrize("cache_type", NESTED_FORMATS)
def test_pandas_missing_values_and_numpy_cells_are_written_plainly(tmp_path, cache_type):
    import numpy as np

    frame = pd.DataFrame({
        "a": pd.array([1, None], dtype="Int64"),
        "t": [pd.Timestamp("2024-01-02"), pd.NaT],
        "v": [np.array([1, 2]), None],
        "f": [1.5, float("nan")],
    })
    storage = FileStorage(str(write_input(tmp_path)), cache_path=str(tmp_path / "c"), cache_type=cache_type)
    storage.step().write(frame)
    rows = storage.step().read("dict")
    if cache_type == "pickle":  # pickle keeps pandas' own types
        assert rows[0]["a"] == 1 and rows[1]["f"] is None
        return
    assert rows == [
        {"a": 1, "t": "2024-01-02T00:00:00", "v": [1, 2], "f": 1.5},
        {"a": None, "t": None, "v": None, "f": None},
    ]
