"""PromptedVQAGenerator's row handling, checkpointing and cache reuse, with a recording fake serving.

(The real engines run under this operator in tests/e2e.)"""

import json
import os

import pytest
from PIL import Image

from dataflow.core import GenerationResult, VLMServingABC
from dataflow.errors import InputDataError
from dataflow.operators.core_vision import PromptedVQAGenerator, WikiQARefiner
from dataflow.utils.storage import FileStorage


class RecordingServing(VLMServingABC):
    """Answers 'answer to <text>'; records every call; can fail after N calls (a simulated crash)."""

    def __init__(self, crash_after_calls=None, model="m"):
        self.calls = []
        self.crash_after_calls = crash_after_calls
        self.model = model

    def generate_from_input(self, user_inputs, system_prompt=""):
        raise NotImplementedError

    def generate_from_input_messages(self, conversations, image_list=None, video_list=None, audio_list=None,
                                     system_prompt=""):
        return [r.text for r in self.generate_results(conversations, image_list, video_list, audio_list, system_prompt)]

    def generate_results(self, conversations, image_list=None, video_list=None, audio_list=None, system_prompt=""):
        if self.crash_after_calls is not None and len(self.calls) >= self.crash_after_calls:
            raise KeyboardInterrupt
        self.calls.append({"conversations": conversations, "images": image_list, "system": system_prompt})
        out = []
        for conv, images in zip(conversations, image_list or [[]] * len(conversations)):
            if not conv:
                out.append(GenerationResult(error="conversation is null"))
                continue
            missing = [p for p in images if not os.path.exists(p)]
            if missing:
                out.append(GenerationResult(error=f"image file not found: {missing[0]}"))
                continue
            out.append(GenerationResult(text=f"answer to {conv[0]['value']}", output_tokens=3))
        return out

    def cleanup(self):
        pass

    def fingerprint(self):
        return {"model": self.model}


def make_rows(tmp_path, n, with_images=True):
    folder = tmp_path / "data"
    folder.mkdir(exist_ok=True)
    Image.new("RGB", (8, 8)).save(folder / "a.png")
    rows = []
    for i in range(n):
        rows.append({"id": f"{i:04d}", "image": ["a.png"] if with_images else [],
                     "conversation": [{"from": "human", "value": f"q{i}"}]})
    path = folder / "rows.json"
    path.write_text(json.dumps(rows))
    return path


def storage_for(tmp_path, src):
    return FileStorage(str(src), cache_path=str(tmp_path / "cache"), file_name_prefix="t", cache_type="json")


def run_gen(tmp_path, src, serving, **kwargs):
    storage = storage_for(tmp_path, src)
    gen = PromptedVQAGenerator(serving, chunk_size=kwargs.pop("chunk_size", 4), show_progress=False, **kwargs)
    return gen.run(storage.step(), input_image_key="image", output_answer_key="vqa")


def read_step(tmp_path, n=1):
    return json.loads((tmp_path / "cache" / f"t_step{n}.json").read_text())


def test_answers_land_in_order_with_error_column(tmp_path, monkeypatch):
    src = make_rows(tmp_path, 10)
    monkeypatch.chdir(tmp_path)  # relative image paths resolve against the input file's folder
    assert run_gen(tmp_path, src, RecordingServing()) == "vqa"
    out = read_step(tmp_path)
    assert [r["id"] for r in out] == [f"{i:04d}" for i in range(10)]
    assert [r["vqa"] for r in out] == [f"answer to q{i}" for i in range(10)]
    assert all(r["vqa_error"] is None for r in out)
    assert not os.path.exists(tmp_path / "cache" / "t_step1.json.partial.jsonl")


def test_bad_rows_are_recorded_and_the_run_continues(tmp_path):
    src = make_rows(tmp_path, 4)
    rows = json.loads(src.read_text())
    rows[1]["image"] = ["missing.png"]
    rows[2]["conversation"] = None
    rows[3]["image"] = 42  # not a path
    src.write_text(json.dumps(rows))
    run_gen(tmp_path, src, RecordingServing())
    out = read_step(tmp_path)
    assert out[0]["vqa"] == "answer to q0" and out[0]["vqa_error"] is None
    assert out[1]["vqa"] == "" and "image file not found" in out[1]["vqa_error"]
    assert out[2]["vqa"] == "" and "conversation is null" in out[2]["vqa_error"]
    assert out[3]["vqa"] == "" and "media cell" in out[3]["vqa_error"]
    # the refiner gives failed rows an empty result, never parses an error as an article
    storage = storage_for(tmp_path, src)
    storage.step()
    WikiQARefiner().run(storage.step(), input_key="vqa", output_key="context_vqa")
    parsed = read_step(tmp_path, 2)
    assert [p["context_vqa"] for p in parsed[1:]] == [{"context": "", "qas": []}] * 3


def test_crash_loses_at_most_the_chunk_in_flight_and_rerun_resumes(tmp_path, caplog):
    src = make_rows(tmp_path, 10)
    crashing = RecordingServing(crash_after_calls=2)  # chunks of 4: rows 0-7 saved, Ctrl-C on 8-9
    with pytest.raises(KeyboardInterrupt), caplog.at_level("WARNING", logger="dataflow"):
        run_gen(tmp_path, src, crashing)
    assert "Interrupted: 8 of 10 rows are saved" in caplog.text and "run the same command again" in caplog.text
    partial = tmp_path / "cache" / "t_step1.json.partial.jsonl"
    assert len(partial.read_text().splitlines()) == 1 + 8
    assert not (tmp_path / "cache" / "t_step1.json").exists()
    # a torn line from a kill mid-write is ignored
    with open(partial, "a") as fh:
        fh.write('{"i": 8, "text": "half')
    resumed = RecordingServing()
    run_gen(tmp_path, src, resumed)
    sent = [c["conversations"][k][0]["value"] for c in resumed.calls for k in range(len(c["conversations"]))]
    assert sent == ["q8", "q9"]
    out = read_step(tmp_path)
    assert [r["vqa"] for r in out] == [f"answer to q{i}" for i in range(10)]


def test_unchanged_step_is_reused_and_changes_recompute(tmp_path, monkeypatch, caplog):
    src = make_rows(tmp_path, 6)
    run_gen(tmp_path, src, RecordingServing())
    again = RecordingServing()
    with caplog.at_level("INFO", logger="dataflow"):
        run_gen(tmp_path, src, again)
    assert again.calls == [] and "reused the cached result" in caplog.text
    other_model = RecordingServing(model="other")
    run_gen(tmp_path, src, other_model)
    assert len(other_model.calls) == 2
    rows = json.loads(src.read_text())
    rows[0]["conversation"][0]["value"] = "changed"
    src.write_text(json.dumps(rows))
    changed = RecordingServing(model="other")
    run_gen(tmp_path, src, changed)
    assert changed.calls and read_step(tmp_path)[0]["vqa"] == "answer to changed"
    forced = RecordingServing(model="other")
    monkeypatch.setenv("DATAFLOW_FORCE_RECOMPUTE", "1")
    run_gen(tmp_path, src, forced)
    assert forced.calls


def test_partial_from_other_settings_is_discarded(tmp_path):
    src = make_rows(tmp_path, 8)
    with pytest.raises(KeyboardInterrupt):
        run_gen(tmp_path, src, RecordingServing(crash_after_calls=1))
    other = RecordingServing(model="different")
    run_gen(tmp_path, src, other)
    assert sum(len(c["conversations"]) for c in other.calls) == 8


def test_prompt_key_and_template(tmp_path):
    src = tmp_path / "p.json"
    src.write_text(json.dumps([{"prompt": "hello"}, {"prompt": None}]))
    serving = RecordingServing()
    storage = FileStorage(str(src), cache_path=str(tmp_path / "cache"), file_name_prefix="t", cache_type="json")
    PromptedVQAGenerator(serving, system_prompt="S", show_progress=False).run(
        storage.step(), input_prompt_key="prompt", output_answer_key="out"
    )
    out = read_step(tmp_path)
    assert out[0]["out"] == "answer to hello" and "null" in out[1]["out_error"]
    assert serving.calls[0]["system"] == "S"

    class Template:
        def build_prompt(self):
            return "templated"

    frame = storage_for(tmp_path, make_rows(tmp_path, 2)).step().read()
    result = PromptedVQAGenerator(RecordingServing(), prompt_template=Template(), show_progress=False).process(
        frame, output_answer_key="a"
    )
    assert result["a"].tolist() == ["answer to templated"] * 2


def test_missing_columns_fail_before_any_model_work(tmp_path):
    src = make_rows(tmp_path, 2)
    serving = RecordingServing()
    storage = storage_for(tmp_path, src)
    with pytest.raises(InputDataError, match=r"\['img'\] not in the data.*'image', 'conversation'"):
        PromptedVQAGenerator(serving).run(storage.step(), input_image_key="img")
    assert serving.calls == []


def test_ten_thousand_rows(tmp_path):
    src = make_rows(tmp_path, 10_000, with_images=False)
    serving = RecordingServing()
    run_gen(tmp_path, src, serving, chunk_size=1000)
    out = read_step(tmp_path)
    assert len(out) == 10_000 and out[-1]["vqa"] == "answer to q9999"
    # a small first chunk (1/8) gets the engine going, then full chunks
    assert [len(c["conversations"]) for c in serving.calls] == [125] + [1000] * 9 + [875]


def test_unicode_image_names_resolve(tmp_path):
    src = make_rows(tmp_path, 1)
    Image.new("RGB", (8, 8)).save(tmp_path / "data" / "фото 写真.png")
    rows = json.loads(src.read_text())
    rows[0]["image"] = "фото 写真.png"  # a bare string cell
    src.write_text(json.dumps(rows, ensure_ascii=False))
    serving = RecordingServing()
    run_gen(tmp_path, src, serving)
    assert serving.calls[0]["images"] == [[str(tmp_path / "data" / "фото 写真.png")]]
    assert read_step(tmp_path)[0]["vqa_error"] is None


def test_an_engine_failure_keeps_saved_rows_and_says_so(tmp_path, caplog):
    class Dies(RecordingServing):
        def generate_results(self, conversations, *args, **kwargs):
            if self.calls:
                raise RuntimeError("CUDA out of memory")
            return super().generate_results(conversations, *args, **kwargs)

    src = make_rows(tmp_path, 10)
    with pytest.raises(RuntimeError, match="out of memory"), caplog.at_level("WARNING", logger="dataflow"):
        run_gen(tmp_path, src, Dies())
    assert "Stopped by RuntimeError: CUDA out of memory: 4 of 10 rows are saved" in caplog.text
    resumed = RecordingServing()
    run_gen(tmp_path, src, resumed)
    assert sum(len(c["conversations"]) for c in resumed.calls) == 6


def test_summary_separates_input_failures_startup_and_generation(tmp_path, caplog):
    import re
    import time

    from dataflow.testing import EchoServing

    class SlowStartServing(EchoServing):
        """An engine that takes 0.6 s to start on the first call, then 0.1 s per chunk; fails row q5."""

        startup_seconds = 0.0

        def generate_results(self, conversations, image_list=None, *args, **kwargs):
            if not self.startup_seconds:
                time.sleep(0.6)
                self.startup_seconds += 0.6
            time.sleep(0.1)
            out = super().generate_results(conversations, image_list, *args, **kwargs)
            return [GenerationResult(error="engine rejected the prompt") if c[0]["value"] == "q5" else r
                    for c, r in zip(conversations, out)]

    src = make_rows(tmp_path, 40)
    rows = json.loads(src.read_text())
    rows[1]["image"] = ["missing.png"]
    rows[2]["image"] = 7  # not a media cell
    src.write_text(json.dumps(rows))
    with caplog.at_level("INFO", logger="dataflow"):
        run_gen(tmp_path, src, SlowStartServing(), chunk_size=4)
    line = next(r.getMessage() for r in caplog.records if "rows 40, done" in r.getMessage())
    assert "rows 40, done 37, failed 3 (2 before the model, 1 by the model), reused 0, sent to the model 38" in line
    startup = float(re.search(r"engine start-up ([\d.]+)s", line)[1])
    generation = float(re.search(r"generation ([\d.]+)s", line)[1])
    rate = float(re.search(r"([\d.]+) output tok/s", line)[1])
    total = float(re.search(r"model 38, ([\d.]+)s", line)[1])
    assert startup == 0.6 and generation >= 1.0
    assert abs(rate - 37 * 3 / generation) / rate < 0.1  # 3 tokens per answered row, over generation time only
    assert rate > 1.2 * 37 * 3 / total
    failed = next(r.getMessage() for r in caplog.records if "failed rows:" in r.getMessage())
    assert "row 1 (id '0001'): image file not found" in failed and "row 2 (id '0002'): a media cell" in failed
    assert "row 5 (id '0005'): engine rejected the prompt" in failed and "'vqa_error' column" in failed
