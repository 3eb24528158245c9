import json

from dataflow.operators.core_vision import WikiQARefiner
from dataflow.utils.storage import FileStorage


def test_refiner_run_reads_parses_and_writes(tmp_path):
    rows = [
        {"id": "1", "vqa": "An article.\n\nQ: What is it?\nA: A thing"},
        {"id": "2", "vqa": "", "vqa_error": "image not found"},
        {"id": "3", "vqa": None},
    ]
    src = tmp_path / "in.json"
    src.write_text(json.dumps(rows))
    storage = FileStorage(str(src), cache_path=str(tmp_path / "c"), file_name_prefix="t", cache_type="json")
    assert WikiQARefiner().run(storage.step(), input_key="vqa", output_key="context_vqa") == "context_vqa"
    out = json.loads((tmp_path / "c" / "t_step1.json").read_text())
    assert [r["id"] for r in out] == ["1", "2", "3"]
    assert out[0]["context_vqa"] == {"context": "An article.", "qas": [{"question": "What is it?", "answer": "A thing"}]}
    assert out[1]["context_vqa"] == {"context": "", "qas": []}
    assert out[2]["context_vqa"] == {"context": "", "qas": []}
    assert out[1]["vqa_error"] == "image not found"


def test_refiner_missing_column_is_clear(tmp_path):
    import pytest

    from dataflow.errors import InputDataError

    src = tmp_path / "in.json"
    src.write_text(json.dumps([{"answer": "x"}]))
    with pytest.raises(InputDataError, match=r"\['text'\] not in the data.*\['answer'\]"):
        WikiQARefiner().run(FileStorage(str(src), cache_path=str(tmp_path)).step())
