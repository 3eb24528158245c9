"""RayPipelineRunner on a real local Ray cluster (2 CPUs), two actors running the tiny checkpoint."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from dataflow.ray import RayPipelineRunner, plan_pipeline
from tests.conftest import REPO_ROOT, run_cli
from tests.ray.pipelines import TinyContextVQAPipeline

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def ray_cluster():
    import ray

    # Workers import the test helpers and the package from this checkout.
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, ignore_reinit_error=True)
    yield ray
    ray.shutdown()


def make_data(tmp_path, example_images, n):
    images = sorted(example_images.values())
    rows = [
        {"id": f"r{i:03d}", "image": [os.path.relpath(images[i % len(images)], tmp_path)],
         "conversation": [{"from": "human", "value": f"Describe picture {i}."}]}
        for i in range(n)
    ]
    rows[3]["image"] = ["missing.png"]  # a bad row is recorded, not lost
    path = tmp_path / "data.json"
    path.write_text(json.dumps(rows))
    return path


def step(path, n):
    return json.loads((path / f"context_vqa_step{n}.json").read_text())


def test_plan_of_the_scaffolded_context_vqa_pipeline(tmp_path):
    run_cli("init", cwd=tmp_path)
    sys.path.insert(0, str(tmp_path / "gpu_pipelines"))
    try:
        import context_vqa

        plan = plan_pipeline(context_vqa.ContextVQAPipeline())
    finally:
        sys.path.remove(str(tmp_path / "gpu_pipelines"))
        sys.modules.pop("context_vqa", None)
    assert [type(s.operator).__name__ for s in plan] == ["PromptedVQAGenerator", "WikiQARefiner"]
    assert [s.index for s in plan] == [0, 1]
    assert [s.model_backed for s in plan] == [True, False]
    assert plan[0].kwargs == {"input_conversation_key": "conversation", "input_image_key": "image",
                              "output_answer_key": "vqa"}
    assert plan[1].kwargs == {"input_key": "vqa", "output_key": "context_vqa"}
    assert plan[0].operator.serving.llm is None  # planning loads no engine


def test_two_actors_match_the_single_machine_run(ray_cluster, tiny_model, example_images, tmp_path):
    data = make_data(tmp_path, example_images, 12)
    TinyContextVQAPipeline(tiny_model, str(data), str(tmp_path / "single")).forward()
    RayPipelineRunner(
        TinyContextVQAPipeline(tiny_model, str(data), str(tmp_path / "ray")),
        num_actors=2, gpus_per_actor=0, batch_size=3,
    ).run()
    for n in (1, 2):
        assert step(tmp_path / "ray", n) == step(tmp_path / "single", n)
    out = step(tmp_path / "ray", 1)
    assert [r["id"] for r in out] == [f"r{i:03d}" for i in range(12)]
    assert "image file not found" in out[3]["vqa_error"] and out[3]["vqa"] == ""
    shards = list((tmp_path / "ray" / "context_vqa_step1.shards").glob("shard-*.jsonl"))
    assert len(shards) == 4  # 12 rows in batches of 3


def test_killed_actor_is_retried_without_loss_or_duplicates(ray_cluster, tiny_model, example_images, tmp_path):
    data = make_data(tmp_path, example_images, 10)
    flag = tmp_path / "crash-once"
    flag.write_text("x")
    RayPipelineRunner(
        TinyContextVQAPipeline(tiny_model, str(data), str(tmp_path / "ray"), flag=str(flag)),
        num_actors=2, gpus_per_actor=0, batch_size=2,
    ).run()
    assert not flag.exists()  # an actor did die
    out = step(tmp_path / "ray", 1)
    assert [r["id"] for r in out] == [f"r{i:03d}" for i in range(10)]
    assert sum(1 for r in out if r["vqa"]) == 9


DRIVER = """
import sys
from dataflow.ray import RayPipelineRunner
from tests.ray.pipelines import TinyContextVQAPipeline
model, data, cache, delay = sys.argv[1:5]
RayPipelineRunner(TinyContextVQAPipeline(model, data, cache, delay=float(delay)),
                  num_actors=1, gpus_per_actor=0, batch_size=2).run()
"""


def test_rerun_after_killing_the_driver_resumes(tiny_model, example_images, tmp_path):
    data = make_data(tmp_path, example_images, 16)
    cache = tmp_path / "ray"
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "RAY_ADDRESS": ""}
    shards = cache / "context_vqa_step1.shards"
    args = [sys.executable, "-c", DRIVER, tiny_model, str(data), str(cache)]
    proc = subprocess.Popen(args + ["0.5"], env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    deadline = time.time() + 240
    while len(list(shards.glob("shard-*.jsonl"))) < 2:
        if proc.poll() is not None or time.time() > deadline:
            pytest.fail(f"driver ended or stalled before it could be killed:\n{proc.stderr.read()[-3000:]}")
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    # Workers of the dead driver can finish the batch in hand (its shard is valid); wait until quiet.
    seen, quiet_since = None, time.time()
    while time.time() - quiet_since < 3:
        now = sorted(p.name for p in shards.glob("shard-*.jsonl"))
        if now != seen:
            seen, quiet_since = now, time.time()
        time.sleep(0.2)
    saved = sum(1 for s in shards.glob("shard-*.jsonl") for _ in s.read_text().splitlines())
    assert 4 <= saved < 16
    rerun = subprocess.run(args + ["0"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert f"already in shards {saved}, to process {16 - saved}" in rerun.stderr, [l for l in rerun.stderr.splitlines() if "shard" in l or "Ray:" in l or "discard" in l]
    out = step(cache, 1)
    assert [r["id"] for r in out] == [f"r{i:03d}" for i in range(16)]
    assert len(step(cache, 2)) == 16


def test_a_ray_step_takes_the_step_lock_a_single_machine_run_takes(tmp_path, tiny_model, example_images):
    from dataflow.errors import StepBusyError
    from dataflow.step.lock import StepLock

    pipeline = TinyContextVQAPipeline(tiny_model, str(make_data(tmp_path, example_images, 4)), str(tmp_path / "c"))
    runner = RayPipelineRunner(pipeline, num_actors=1, gpus_per_actor=0)
    plan = plan_pipeline(pipeline)
    with StepLock(tmp_path / "c" / "context_vqa_step1.json"):
        with pytest.raises(StepBusyError, match="another run is writing"):
            runner._run_step(plan[0], None)


def test_shards_read_back_are_checked_and_bad_ones_redone(tmp_path):
    shards = tmp_path / "s.shards"
    shards.mkdir()
    (shards / "shard-000000000000-aaaa.jsonl").write_text('{"_row_id": 0, "x": 1}\n{"_row_id": 1, "x": 2}\n')
    (shards / "shard-000000000002-bbbb.jsonl").write_text('{"_row_id": 2, "x": 3}\n{"_row_id": 3, "x": ')  # torn
    (shards / "shard-000000000009-cccc.jsonl").write_text('{"_row_id": 9, "x": 1}\n')  # not in a 4-row input
    (shards / "shard-000000000003-dddd.jsonl").write_text('{"_row_id": "3", "x": 1}\n')
    runner = RayPipelineRunner(object())
    assert runner._done_ids(shards, 4) == {0, 1}
    assert sorted(p.name for p in shards.iterdir()) == ["shard-000000000000-aaaa.jsonl"]


def quality_data(tmp_path, example_images, n=16):
    images = sorted(example_images.values())
    rows = [{"id": f"q{i:02d}", "image": [images[i % len(images)]],
             "conversation": [{"from": "human", "value": f"Describe picture {i}."}]} for i in range(n)]
    path = tmp_path / "quality.json"
    path.write_text(json.dumps(rows))
    return path


def step_files(cache):
    """Every step file's rows and every meta record, less the input file's stamp (its inode and times
    are those of each run's own files); the data fingerprint beside it is kept."""
    files = {p.name: json.loads(p.read_text()) for p in sorted(cache.glob("q_step*.json"))}
    for content in files.values():
        if isinstance(content, dict) and "source" in content:
            content["source"] = {k: v for k, v in content["source"].items() if k != "stamp"}
    return files


def served(log):
    return log.read_text().count("\n") if log.exists() else 0


def test_the_filtered_pipeline_on_ray_equals_one_machine_and_each_reuses_the_others_steps(
        ray_cluster, tmp_path, example_images, caplog):
    from tests.ray.pipelines import QualityPipeline

    data, log = quality_data(tmp_path, example_images), tmp_path / "served.log"
    QualityPipeline(data, tmp_path / "local", str(log)).forward()
    local_calls = served(log)
    RayPipelineRunner(QualityPipeline(data, tmp_path / "ray", str(log)), num_actors=2, gpus_per_actor=0,
                      batch_size=3).run()
    assert served(log) == 2 * local_calls  # the same requests
    local, on_ray = step_files(tmp_path / "local"), step_files(tmp_path / "ray")
    # seven step files, the five quality steps' rejected rows beside them, seven meta records
    assert len(local) == 7 + 5 + 7
    assert on_ray == local  # every file row for row, and the same keys in the meta records
    kept = local["q_step7.json"]
    assert 0 < len(kept) < 16 and local["q_step2.rejected.json"]  # copies of the six photos removed
    with caplog.at_level("INFO", logger="dataflow"):
        RayPipelineRunner(QualityPipeline(data, tmp_path / "local", str(log)), num_actors=2, gpus_per_actor=0).run()
        QualityPipeline(data, tmp_path / "ray", str(log)).forward()
    assert served(log) == 2 * local_calls  # each reused the other's seven steps
    assert caplog.text.count("reused the cached result") == 14


def test_a_replaced_image_is_seen_by_the_ray_key(ray_cluster, tmp_path, example_images, caplog):
    import shutil

    from tests.ray.pipelines import QualityPipeline

    photos = tmp_path / "photos"
    photos.mkdir()
    for name, path in example_images.items():
        shutil.copy(path, photos / name)
    data = quality_data(tmp_path, {n: str(photos / n) for n in example_images}, n=6)
    runner = lambda: RayPipelineRunner(QualityPipeline(data, tmp_path / "ray", None), gpus_per_actor=0)  # noqa: E731
    runner().run()
    first = sorted(example_images)[0]
    shutil.copy(photos / sorted(example_images)[1], photos / first)  # another picture at the same path
    with caplog.at_level("INFO", logger="dataflow"):
        runner().run()
    assert "ImageQualityFilter: recomputing" in caplog.text and "its input data changed" in caplog.text


def test_a_gpu_request_on_a_cpu_cluster_fails_at_once(ray_cluster, tmp_path, example_images):
    from dataflow.errors import DataFlowError
    from tests.ray.pipelines import QualityPipeline

    started = time.monotonic()
    with pytest.raises(DataFlowError, match=r"gpus_per_actor=1, but the cluster has 0 GPU\(s\): set gpus_per_actor=0"):
        RayPipelineRunner(QualityPipeline(quality_data(tmp_path, example_images), tmp_path / "c"), num_actors=1).run()
    with pytest.raises(DataFlowError, match=r"num_actors=8 x cpus_per_actor=1 needs 8 CPUs, the cluster has 2"):
        RayPipelineRunner(QualityPipeline(quality_data(tmp_path, example_images), tmp_path / "c"), num_actors=8,
                          gpus_per_actor=0).run()
    assert time.monotonic() - started < 30 and not (tmp_path / "c").exists()
