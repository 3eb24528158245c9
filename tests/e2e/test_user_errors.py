"""User errors seen as a user sees them: the seed's script, unchanged, run as a process."""

import json
import subprocess
import sys

import pytest
from PIL import Image

from dataflow.errors import ServingError
from dataflow.operators.core_vision import PromptedVQAGenerator
from dataflow.serving.transformers_vlm_serving import LocalModelVLMServing_transformers
from dataflow.utils.storage import FileStorage
from tests.conftest import run_cli


def run_seed_script(work, env=None):
    return subprocess.run(
        [sys.executable, "gpu_pipelines/context_vqa.py"], cwd=work, stdin=subprocess.DEVNULL,
        capture_output=True, text=True, timeout=120, env={**__import__("os").environ, **(env or {})},
    )


@pytest.fixture
def work(tmp_path):
    run_cli("init", cwd=tmp_path)
    return tmp_path


def test_a_missing_input_file_is_a_short_message_without_traceback(work):
    (work / "example_data" / "image_contextvqa" / "sample_data.json").unlink()
    proc = run_seed_script(work)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) <= 10, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "StorageError: First entry file not found" in proc.stderr and "sample_data.json" in proc.stderr
    assert "run the same command again" not in proc.stderr
    assert not list((work / "cache_local").glob("*.partial.jsonl"))
    full = run_seed_script(work, {"DATAFLOW_DEBUG": "1"})
    assert "Traceback" in full.stderr and "First entry file not found" in full.stderr


def test_a_missing_model_folder_is_a_short_message(work):
    script = work / "gpu_pipelines" / "context_vqa.py"
    script.write_text(script.read_text().replace('"Qwen/Qwen2.5-VL-3B-Instruct"', '"./no_such_model"'))
    proc = run_seed_script(work)
    assert proc.returncode == 1
    assert len(proc.stderr.strip().splitlines()) <= 10, proc.stderr
    assert "Traceback" not in proc.stderr and "ServingError: model folder not found" in proc.stderr
    assert "run the same command again" not in proc.stderr
    assert not list((work / "cache_local").glob("*.partial.jsonl"))


def test_a_model_that_cannot_be_fetched_is_tried_once_not_per_row(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    Image.new("RGB", (8, 8)).save(tmp_path / "a.png")
    rows = [{"image": ["a.png"], "conversation": [{"from": "human", "value": f"q{i}"}]} for i in range(40)]
    (tmp_path / "rows.json").write_text(json.dumps(rows))
    storage = FileStorage(str(tmp_path / "rows.json"), cache_path=str(tmp_path / "cache"), cache_type="json")
    serving = LocalModelVLMServing_transformers("someone/not-in-the-offline-cache", show_progress=False)
    serving.prepare_workers = 8
    gen = PromptedVQAGenerator(serving, chunk_size=10, show_progress=False)
    with caplog.at_level("INFO", logger="dataflow"), pytest.raises(ServingError, match="could not fetch model"):
        gen.run(storage.step(), input_image_key="image", output_answer_key="vqa")
    assert caplog.text.count("fetching someone/not-in-the-offline-cache") == 1
    assert "rows are saved" not in caplog.text and not list((tmp_path / "cache").glob("*.partial.jsonl"))
