"""PipelineABC.compile(): every check finds its mistake before anything runs, and a good pipeline
still runs as written afterwards."""

import json
import logging
import os
import subprocess
import sys
import time

import pytest
from PIL import Image

from dataflow.errors import DataFlowError, PipelineCompileError
from dataflow.operators.core_vision import ContextVQAFilter, PromptedVQAGenerator, QADeduplicator, WikiQARefiner
from dataflow.pipeline import PipelineABC
from dataflow.serving.local_model_vlm_serving import LocalModelVLMServing_vllm
from dataflow.testing import EchoServing
from dataflow.utils.storage import FileStorage
from tests.conftest import REPO_ROOT, run_cli


def write_rows(tmp_path, n=4, image=True, missing=()):
    """n rows with a conversation and, optionally, a real image each (rows in ``missing`` point nowhere)."""
    folder = tmp_path / "data"
    folder.mkdir(exist_ok=True)
    rows = []
    for i in range(n):
        row = {"id": i, "conversation": [{"from": "human", "value": f"Write about picture {i}"}]}
        if image:
            name = f"img{i}.png"
            if i not in missing:
                Image.new("RGB", (64, 48), (i * 40, 90, 200)).save(folder / name)
            row["image"] = [f"./{name}"]
        rows.append(row)
    path = folder / "rows.json"
    path.write_text(json.dumps(rows))
    return path


class Pipeline(PipelineABC):
    """generate -> refine -> filter -> dedup, with every key settable (to make mistakes on purpose)."""

    def __init__(self, source, cache, serving=None, keys=None):
        super().__init__()
        self.keys = {"conversation": "conversation", "image": "image", "answer": "vqa", "refine_in": "vqa",
                     "refined": "context_vqa", "filter_in": "context_vqa", "dedup_in": "context_vqa_filtered",
                     **(keys or {})}
        self.storage = FileStorage(str(source), cache_path=str(cache), file_name_prefix="t", cache_type="json")
        self.serving = serving or EchoServing(log_path=str(cache.parent / "served.log"))
        self.generator = PromptedVQAGenerator(self.serving, show_progress=False)
        self.refiner = WikiQARefiner()
        self.filter = ContextVQAFilter(min_context_words=1, answer_in_context=None)
        self.dedup = QADeduplicator()

    def forward(self):
        k = self.keys
        self.generator.run(storage=self.storage.step(), input_conversation_key=k["conversation"],
                           input_image_key=k["image"], output_answer_key=k["answer"])
        self.refiner.run(storage=self.storage.step(), input_key=k["refine_in"], output_key=k["refined"])
        self.filter.run(storage=self.storage.step(), input_key=k["filter_in"], output_key="context_vqa_filtered")
        self.dedup.run(storage=self.storage.step(), input_key=k["dedup_in"], output_key="context_vqa_final")


def compile_error(pipe) -> PipelineCompileError:
    with pytest.raises(PipelineCompileError) as info:
        pipe.compile()
    return info.value


def nothing_ran(tmp_path):
    return not (tmp_path / "cache").exists() and not (tmp_path / "served.log").exists()


def test_a_good_pipeline_compiles_to_a_plan_and_then_runs_as_written(tmp_path):
    pipe = Pipeline(write_rows(tmp_path), tmp_path / "cache")
    plan = pipe.compile()
    assert nothing_ran(tmp_path)
    assert [s.number for s in plan] == [1, 2, 3, 4] and pipe.op_runtimes == plan.steps
    assert plan.input_columns == ["id", "conversation", "image"]
    assert plan[0].io.reads == {"input_conversation_key": "conversation", "input_image_key": "image"}
    assert plan[0].io.writes == ["vqa", "vqa_error"] and plan[0].io.media == ["input_image_key"]
    table = str(plan).splitlines()
    assert table[1].split() == ["step", "operator", "reads", "writes", "model"]
    assert table[3].split()[:3] == ["1", "generator", "(PromptedVQAGenerator)"]
    assert "context_vqa_filtered, context_vqa_filtered_reasons" in table[5]
    pipe.forward()  # the storage was put back before the first step
    final = json.loads((tmp_path / "cache" / "t_step4.json").read_text())
    assert {r["id"] for r in final} <= {0, 1, 2, 3}
    assert len((tmp_path / "served.log").read_text().splitlines()) == 4


@pytest.mark.parametrize(
    "keys, step, argument, hint",
    [
        ({"dedup_in": "context_vqa_filterd"}, "step 4 (self.dedup, QADeduplicator)", "input_key='context_vqa_filterd'",
         "did you mean 'context_vqa_filtered'?"),
        ({"refine_in": "vqa_answer"}, "step 2 (self.refiner, WikiQARefiner)", "input_key='vqa_answer'",
         "did you mean 'vqa_error'?"),
        ({"conversation": "conversations"}, "step 1 (self.generator, PromptedVQAGenerator)",
         "input_conversation_key='conversations'", "did you mean 'conversation'?"),
    ],
)
def test_a_wrong_input_key_names_the_step_operator_argument_columns_and_closest_match(tmp_path, keys, step, argument, hint):
    error = compile_error(Pipeline(write_rows(tmp_path), tmp_path / "cache", keys=keys))
    assert len(error.problems) == 1
    problem = error.problems[0]
    assert problem.startswith(f"{step}: {argument} is not a column of its input") and hint in problem
    assert "Columns there: ['id', 'conversation', 'image'" in problem
    assert nothing_ran(tmp_path)


def test_a_key_written_only_by_a_later_step_is_not_available_earlier(tmp_path):
    error = compile_error(Pipeline(write_rows(tmp_path), tmp_path / "cache", keys={"filter_in": "context_vqa_final"}))
    assert "step 3 (self.filter, ContextVQAFilter): input_key='context_vqa_final'" in error.problems[0]


def test_every_problem_is_reported_at_once_in_a_short_message(tmp_path):
    keys = {"conversation": "conv", "dedup_in": "nope"}
    error = compile_error(Pipeline(write_rows(tmp_path), tmp_path / "cache", keys=keys))
    assert len(error.problems) == 2 and isinstance(error, DataFlowError)
    assert str(error).splitlines()[0] == "Pipeline.compile() found 2 problem(s); nothing was run:"


def test_a_run_argument_the_operator_does_not_take(tmp_path):
    class Typo(PipelineABC):
        def __init__(self):
            super().__init__()
            self.storage = FileStorage(str(write_rows(tmp_path)), cache_path=str(tmp_path / "cache"))
            self.refiner = WikiQARefiner()

        def forward(self):
            self.refiner.run(storage=self.storage.step(), input_keys="conversation", output_key="x")

    error = compile_error(Typo())
    assert error.problems == [
        "step 1 (self.refiner, WikiQARefiner): run() has no argument 'input_keys' (did you mean 'input_key'?); "
        "its arguments: ['input_key', 'output_key']"
    ]


def test_an_output_that_replaces_an_input_column_read_later(tmp_path):
    class Clobber(PipelineABC):
        def __init__(self):
            super().__init__()
            self.storage = FileStorage(str(write_rows(tmp_path)), cache_path=str(tmp_path / "cache"))
            self.refiner = WikiQARefiner()
            self.generator = PromptedVQAGenerator(EchoServing())

        def forward(self):
            self.refiner.run(storage=self.storage.step(), input_key="id", output_key="image")
            self.generator.run(storage=self.storage.step(), input_image_key="image", output_answer_key="vqa")

    error = compile_error(Clobber())
    assert error.problems == [
        "step 1 (self.refiner, WikiQARefiner) writes 'image', replacing a column of the input data that "
        "step 2 (self.generator, PromptedVQAGenerator) reads later; give it another output key"
    ]
    # updating a column in place (the step reads what it writes) is not a mistake
    class InPlace(PipelineABC):
        def __init__(self):
            super().__init__()
            self.storage = FileStorage(str(write_rows(tmp_path)), cache_path=str(tmp_path / "cache"))
            self.refiner = WikiQARefiner()
            self.again = WikiQARefiner()

        def forward(self):
            self.refiner.run(storage=self.storage.step(), input_key="conversation", output_key="conversation")
            self.again.run(storage=self.storage.step(), input_key="conversation", output_key="parsed")

    assert len(InPlace().compile()) == 2


@pytest.mark.parametrize("case", ["no folder", "no config", "hub offline, not cached", "hub offline, cached"])
def test_the_model_must_be_resolvable(tmp_path, monkeypatch, case):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    cache_dir = tmp_path / "hf"
    model = {"no folder": str(tmp_path / "missing-model"), "no config": str(tmp_path / "empty-model")}.get(case, "org/model")
    (tmp_path / "empty-model").mkdir()
    if case == "hub offline, cached":
        snapshot = cache_dir / "models--org--model" / "snapshots" / "abc123"
        snapshot.mkdir(parents=True)
        (snapshot / "config.json").write_text("{}")
        (cache_dir / "models--org--model" / "refs").mkdir()
        (cache_dir / "models--org--model" / "refs" / "main").write_text("abc123")
    serving = LocalModelVLMServing_vllm(hf_model_name_or_path=model, hf_cache_dir=str(cache_dir))
    pipe = Pipeline(write_rows(tmp_path), tmp_path / "cache", serving=serving)
    if case == "hub offline, cached":
        pipe.compile()
        return
    error = compile_error(pipe)
    expected = {
        "no folder": "model folder not found",
        "no config": "has no config.json",
        "hub offline, not cached": "is not in the cache",
    }[case]
    assert len(error.problems) == 1 and error.problems[0].startswith("step 1 (self.generator, PromptedVQAGenerator): model: ")
    assert expected in error.problems[0]
    assert serving.adapter is None  # nothing was loaded or fetched


def test_media_that_cannot_be_opened_at_all_is_a_problem(tmp_path):
    error = compile_error(Pipeline(write_rows(tmp_path, missing=(0, 1, 2, 3)), tmp_path / "cache"))
    assert len(error.problems) == 1
    assert "none of the 4 media item(s) in the first 4 rows of input_image_key='image' can be opened" in error.problems[0]
    assert "image file not found" in error.problems[0]


def test_a_fake_image_file_is_found_too(tmp_path):
    source = write_rows(tmp_path, n=2)
    for name in ("img0.png", "img1.png"):
        (source.parent / name).write_text("not a picture")
    error = compile_error(Pipeline(source, tmp_path / "cache"))
    assert "not an image file" in error.problems[0]


def test_a_few_bad_images_among_good_ones_are_a_warning_not_a_stop(tmp_path, caplog):
    pipe = Pipeline(write_rows(tmp_path, missing=(2,)), tmp_path / "cache")
    with caplog.at_level(logging.WARNING, logger="dataflow"):
        pipe.compile()
    assert "1 of 4 media item(s) in the first rows of 'image' cannot be opened" in caplog.text
    assert "row 2: image file not found" in caplog.text


def test_media_paths_resolve_from_another_working_directory(tmp_path, monkeypatch):
    source = write_rows(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    Pipeline(source, tmp_path / "cache").compile()


def test_a_missing_input_file_is_reported_without_running(tmp_path):
    error = compile_error(Pipeline(tmp_path / "nope.json", tmp_path / "cache"))
    assert "cannot read its input: First entry file not found" in error.problems[0]


def test_compile_reads_only_the_first_rows(tmp_path):
    source = write_rows(tmp_path, n=3)
    rows = json.loads(source.read_text())
    text = json.dumps(rows)[:-1] + ", " + ", ".join(["{\"id\": 9}"] * 20) + ", {broken"  # damaged far down
    source.write_text(text)
    Pipeline(source, tmp_path / "cache").compile(sample_rows=3)
    with pytest.raises(DataFlowError):
        FileStorage(str(source)).step().read()


def test_positional_run_arguments_are_refused_by_name(tmp_path):
    class Positional(PipelineABC):
        def __init__(self):
            super().__init__()
            self.storage = FileStorage(str(write_rows(tmp_path)))
            self.refiner = WikiQARefiner()

        def forward(self):
            self.refiner.run(self.storage.step(), "conversation", "x")

    with pytest.raises(DataFlowError, match=r"self.refiner.run\(\) \(WikiQARefiner\): pass run\(\) arguments by keyword"):
        Positional().compile()


def test_the_filtered_scaffold_with_a_typo_stops_in_seconds_before_any_model_loads(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    run_cli("init", cwd=work)
    model = tmp_path / "model"  # a folder that resolves, but no engine can load: none must try
    model.mkdir()
    (model / "config.json").write_text("{}")
    script = work / "gpu_pipelines" / "context_vqa_filtered.py"
    text = script.read_text().replace('"Qwen/Qwen2.5-VL-3B-Instruct"', repr(str(model)))
    typo = text.replace('input_key="context_vqa_filtered", output_key="context_vqa_vision"',
                        'input_key="context_vqa_filterd", output_key="context_vqa_vision"')
    assert typo != text
    script.write_text(typo)
    started = time.monotonic()
    proc = subprocess.run([sys.executable, str(script)], cwd=work, capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL, env={**os.environ, "DATAFLOW_DEBUG": ""})
    assert proc.returncode != 0 and time.monotonic() - started < 30
    lines = proc.stderr.strip().splitlines()
    assert len(lines) <= 10, proc.stderr
    assert "input_key='context_vqa_filterd'" in proc.stderr and "did you mean 'context_vqa_filtered'?" in proc.stderr
    assert "step 6 (self.vision_check, VisionDependencyFilter)" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (work / "cache_local").exists()


def test_the_seed_script_stays_a_plain_class(repo_root=REPO_ROOT):
    text = (repo_root / "gpu_pipelines" / "context_vqa.py").read_text()
    assert "class ContextVQAPipeline:" in text and "compile()" not in text
    for name in ("context_vqa_filtered.py", "context_vqa_structured.py"):
        scaffold = (repo_root / "gpu_pipelines" / name).read_text()
        assert "(PipelineABC):" in scaffold and "pipe.compile()\n" in scaffold.replace("pipe.compile()  #", "pipe.compile()\n#")
