"""`dataflow export` loaded back by each consumer's loader (or its documented schema), and `dataflow stats`."""

import json
from pathlib import Path

import pytest

from dataflow.errors import DataFlowError
from dataflow.report.export import export
from tests.conftest import run_cli


def exportable(kept):
    """The rows an export must write: ok (no error), with QAs, with an image that exists."""
    return [r for r in kept if not r["vqa_error"] and r["context_vqa_filtered"]["qas"] and r["image"] != ["missing.png"]]


def test_llava_one_sample_per_qa_with_the_article_in_the_prompt(step_file, tmp_path):
    step, kept, rejected = step_file
    result = run_cli("export", str(step), "--format", "llava", "-o", str(tmp_path / "out" / "llava.json"), cwd=tmp_path)
    data = json.loads((tmp_path / "out" / "llava.json").read_text())
    rows = exportable(kept)
    assert len(data) == sum(len(r["context_vqa_filtered"]["qas"]) for r in rows)
    first, source = data[0], rows[0]
    assert first["id"] == f"{source['id']}_0"
    assert Path(first["image"]).is_absolute() and Path(first["image"]).exists()
    human, gpt = first["conversations"]
    assert human["from"] == "human" and human["value"].startswith("<image>\n") and human["value"].count("<image>") == 1
    assert source["context_vqa_filtered"]["context"] in human["value"]
    assert human["value"].endswith("Question: " + source["context_vqa_filtered"]["qas"][0]["question"])
    assert gpt == {"from": "gpt", "value": source["context_vqa_filtered"]["qas"][0]["answer"]}
    skipped_failed = sum(1 for r in kept + rejected if r["vqa_error"])
    assert f"{skipped_failed} failed" in result.stdout and "rejected" in result.stdout and "image missing" in result.stdout


def test_llava_multi_turn_without_context_relative_to_an_image_root(step_file, tmp_path):
    step, kept, _ = step_file
    export(step, "llava", tmp_path / "mt.json", multi_turn=True, context="none", image_root=str(step.parent.parent))
    data = json.loads((tmp_path / "mt.json").read_text())
    rows = exportable(kept)
    assert len(data) == len(rows)
    for sample, row in zip(data, rows):
        qas = row["context_vqa_filtered"]["qas"]
        assert sample["image"] == row["image"][0]  # relative to the root, as the input had it
        assert len(sample["conversations"]) == 2 * len(qas)
        assert sample["conversations"][0]["value"] == "<image>\n" + qas[0]["question"]
        assert [t["value"] for t in sample["conversations"][1::2]] == [qa["answer"] for qa in qas]


def test_sharegpt_matches_llama_factory_layout_and_registers_itself(step_file, tmp_path):
    step, kept, _ = step_file
    out = tmp_path / "lf" / "contextvqa.json"
    (tmp_path / "lf").mkdir()
    (tmp_path / "lf" / "dataset_info.json").write_text(json.dumps({"other": {"file_name": "x.json"}}))
    export(step, "sharegpt", out, copy_images=True, dataset_name="ctx_vqa")
    data = json.loads(out.read_text())
    info = json.loads((tmp_path / "lf" / "dataset_info.json").read_text())
    assert info["other"] == {"file_name": "x.json"}  # other entries kept
    entry = info["ctx_vqa"]
    assert entry["file_name"] == "contextvqa.json" and entry["formatting"] == "sharegpt"
    assert entry["columns"] == {"messages": "messages", "images": "images"}
    assert entry["tags"] == {"role_tag": "role", "content_tag": "content", "user_tag": "user", "assistant_tag": "assistant"}
    for sample in data:  # LLaMA-Factory's rules: alternating user/assistant, one <image> per image
        roles = [m["role"] for m in sample["messages"]]
        assert roles == ["user", "assistant"] * (len(roles) // 2)
        assert sum(m["content"].count("<image>") for m in sample["messages"]) == len(sample["images"])
        assert all((tmp_path / "lf" / p).is_file() and p.startswith("images/") for p in sample["images"])
    assert len(data) == sum(len(r["context_vqa_filtered"]["qas"]) for r in exportable(kept))


def test_hf_dataset_loads_with_datasets_and_round_trips_a_record(step_file, tmp_path):
    import datasets

    step, kept, _ = step_file
    export(step, "hf", tmp_path / "hf")
    files = sorted(str(p) for p in (tmp_path / "hf" / "data").glob("*.parquet"))
    loaded = datasets.load_dataset("parquet", data_files=files, split="train")
    rows = exportable(kept)
    assert len(loaded) == len(rows)  # one row per record: each image embedded once
    assert isinstance(loaded.features["image"], datasets.Image)
    first, source = loaded[0], rows[0]
    from PIL import Image

    original = Image.open(step.parent.parent / source["image"][0])
    assert first["image"].size == original.size  # the bytes are embedded, not a path
    assert first["id"] == source["id"] and first["context"] == source["context_vqa_filtered"]["context"]
    assert first["qas"] == source["context_vqa_filtered"]["qas"]
    assert [m["role"] for m in first["messages"]] == ["user", "assistant"] * len(first["qas"])
    assert first["messages"][0]["content"].startswith("<image>\n")


def test_bad_export_arguments_are_named(step_file, tmp_path):
    step, _, _ = step_file
    with pytest.raises(DataFlowError, match=r"'format' parameter must be one of \['llava', 'sharegpt', 'hf'\]"):
        export(step, "alpaca", tmp_path / "x.json")
    with pytest.raises(DataFlowError, match=r"record column 'nope' not in .* record columns there: \['context_vqa', 'context_vqa_filtered'\]"):
        export(step, "llava", tmp_path / "x.json", record_key="nope")


def test_stats_prints_the_report_header(step_file, tmp_path):
    step, kept, rejected = step_file
    out = run_cli("stats", str(step), cwd=tmp_path).stdout
    failed = sum(1 for r in kept + rejected if r["vqa_error"])
    refused = sum(1 for r in rejected if not r["vqa_error"])
    total = len(kept) + len(rejected)
    assert f"rows {total}: ok {total - failed - refused}, failed {failed}, rejected {refused}" in out
    assert "QAs per ok row: 0:" in out and "most common rejection reasons:" in out and "row: image_reference" in out
    assert "image file not found: <path>" in out
