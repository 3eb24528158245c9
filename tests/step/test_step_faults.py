"""Scripted faults on whole runs, each run a real process: kill -9 at random points, two runs on one
cache folder, a full disk. The pipeline is tests/step/fault_pipeline.py (a fast fake serving)."""

import json
import os
import random
import re
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

SCRIPT = Path(__file__).with_name("fault_pipeline.py")
ROWS = 400
CHUNK = 10


def write_input(folder: Path, name: str, prefix: str, n: int = ROWS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(json.dumps([
        {"id": i, "image": [], "conversation": [{"from": "human", "value": f"{prefix}{i}"}]} for i in range(n)
    ]))
    return path


class Run:
    """One pipeline process; ``log`` gets one line per row that reached the (fake) model."""

    def __init__(self, src: Path, cache: Path, log: Path, delay: float = 0.005, preexec=None, stage="generate"):
        self.log = log
        self.proc = subprocess.Popen(
            [sys.executable, str(SCRIPT), str(src), str(cache), str(log), "--delay", str(delay),
             "--chunk-size", str(CHUNK), "--stage", stage],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "DATAFLOW_PROGRESS": "0"}, preexec_fn=preexec,
        )

    def served(self) -> int:
        try:
            return self.log.read_bytes().count(b"\n")
        except FileNotFoundError:
            return 0

    def wait_until_served(self, rows: int, timeout: float = 60) -> bool:
        """Wait until ``rows`` rows were served (False if the run ended first)."""
        end = time.monotonic() + timeout
        while self.served() < rows:
            if self.proc.poll() is not None:
                return False
            if time.monotonic() > end:
                raise AssertionError(f"only {self.served()} rows served in {timeout}s")
            time.sleep(0.002)
        return True

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def finish(self, timeout: float = 120) -> tuple[int, str]:
        _, err = self.proc.communicate(timeout=timeout)
        return self.proc.returncode, err


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def check_output(cache: Path, prefix: str, n: int = ROWS) -> None:
    step1 = read_jsonl(cache / "t_step1.jsonl")
    assert [r["id"] for r in step1] == list(range(n)), "every row exactly once, in input order"
    assert [r["vqa"] for r in step1] == [f"answer to {prefix}{i}" for i in range(n)]
    step2 = read_jsonl(cache / "t_step2.jsonl")
    assert [r["id"] for r in step2] == list(range(n)) and all("context_vqa" in r for r in step2)
    leftovers = [p.name for p in cache.iterdir() if p.name.endswith((".tmp", ".partial.jsonl"))]
    assert leftovers == []


@pytest.mark.slow
def test_kill_9_at_random_points_loses_at_most_the_chunk_in_flight(tmp_path):
    seed = int(os.environ.get("DATAFLOW_FAULT_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    src = write_input(tmp_path / "data", "rows.json", "q")
    cache, log = tmp_path / "cache", tmp_path / "served.log"
    kills = 0
    for _ in range(12):
        run = Run(src, cache, log)
        # A random row count to reach, then a random few ms: kills land mid-chunk, mid-append,
        # mid-write of the step files and between the two operators.
        target = min(ROWS, log_rows(log) + rng.randint(1, ROWS // 4))
        if run.wait_until_served(target):
            time.sleep(rng.uniform(0, 0.03))
        if run.proc.poll() is None:
            run.kill()
            kills += 1
        else:
            run.finish()
    assert kills >= 10, f"seed {seed}: only {kills} runs were still going when killed"
    code, err = Run(src, cache, log).finish()
    assert code == 0, f"seed {seed}:\n{err[-3000:]}"
    check_output(cache, "q")
    served = log.read_text().splitlines()
    redone = len(served) - ROWS
    assert sorted(set(served)) == sorted(f"q{i}" for i in range(ROWS))
    assert 0 <= redone <= kills * CHUNK, f"seed {seed}: {redone} rows redone over {kills} kills"
    # a last run reuses both verified steps and sends nothing to the model
    code, err = Run(src, cache, log).finish()
    assert code == 0 and len(log.read_text().splitlines()) == len(served), f"seed {seed}: {err[-2000:]}"
    assert err.count("reused the cached result") == 2


def log_rows(log: Path) -> int:
    return log.read_bytes().count(b"\n") if log.exists() else 0


@pytest.mark.slow
@pytest.mark.parametrize("same_input", [True, False])
def test_two_runs_on_one_cache_folder_one_is_refused_and_nothing_mixes(tmp_path, same_input):
    src_a = write_input(tmp_path / "data", "a.json", "a")
    src_b = src_a if same_input else write_input(tmp_path / "data", "b.json", "b")
    cache = tmp_path / "cache"
    first = Run(src_a, cache, tmp_path / "a.log", delay=0.02)
    assert first.wait_until_served(50)
    started = time.monotonic()
    code, err = Run(src_b, cache, tmp_path / "b.log").finish()
    assert code != 0 and time.monotonic() - started < 30
    assert "StepBusyError" in err and "another run is writing" in err
    assert f"pid {first.proc.pid} on host" in err and "t_step1.jsonl.lock" in err
    assert not (tmp_path / "b.log").exists(), "the refused run sent nothing to the model"
    code, err = first.finish()
    assert code == 0, err[-3000:]
    check_output(cache, "a")
    if not same_input:  # the other dataset, run afterwards, gets its own answers
        code, err = Run(src_b, cache, tmp_path / "b.log").finish()
        assert code == 0, err[-3000:]
        check_output(cache, "b")


@pytest.mark.slow
def test_killed_runs_of_two_datasets_never_lend_each_other_rows(tmp_path):
    src_a = write_input(tmp_path / "data", "a.json", "a")
    src_b = write_input(tmp_path / "data", "b.json", "b")
    cache = tmp_path / "cache"
    run = Run(src_a, cache, tmp_path / "a.log", delay=0.01)
    assert run.wait_until_served(100)
    run.kill()
    run = Run(src_b, cache, tmp_path / "b.log", delay=0.01)
    assert run.wait_until_served(228)
    run.kill()
    code, err = Run(src_a, cache, tmp_path / "a.log").finish()
    assert code == 0, err[-3000:]
    check_output(cache, "a")


@pytest.mark.slow
def test_the_lock_of_a_killed_run_is_taken_over(tmp_path):
    src = write_input(tmp_path / "data", "rows.json", "q")
    cache, log = tmp_path / "cache", tmp_path / "served.log"
    run = Run(src, cache, log, delay=0.02)
    assert run.wait_until_served(30)
    dead = run.proc.pid
    run.kill()
    assert (cache / "t_step1.jsonl.lock.json").exists()  # its record stays behind, the OS lock does not
    code, err = Run(src, cache, log).finish()
    assert code == 0, err[-3000:]
    assert f"took over the lock of {cache / 't_step1.jsonl'} from pid {dead}" in err and "no longer running" in err
    check_output(cache, "q")


def _file_size_limit(limit: int):
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


@pytest.mark.slow
def test_a_full_disk_during_a_journal_append_still_reports_the_saved_rows(tmp_path):
    src = write_input(tmp_path / "data", "rows.json", "q")
    cache, log = tmp_path / "cache", tmp_path / "served.log"
    code, err = Run(src, cache, log, preexec=_file_size_limit(12_000)).finish()
    assert code != 0
    journal = cache / "t_step1.jsonl.partial.jsonl"
    complete = sum(1 for line in journal.read_bytes().splitlines()[1:] if line.endswith(b"}}"))
    reported = re.search(r"Stopped by OSError: \[Errno 27\] File too large: (\d+) of 400 rows are saved in", err)
    assert reported, err[-3000:]
    saved = int(reported[1])  # fsynced before the failing append; that append may have landed some lines
    assert 0 < saved <= complete <= saved + CHUNK
    assert "During handling of the above exception" not in err, "a second error hid the first"
    code, err = Run(src, cache, log).finish()
    assert code == 0, err[-3000:]
    assert f"resuming, {complete} of {ROWS} rows already done" in err
    check_output(cache, "q")


@pytest.mark.slow
def test_the_vision_filter_resumes_after_kill_9_like_the_generator(tmp_path):
    """The model-backed filter runs through the same step machinery: kill -9 loses at most a chunk."""
    seed = int(os.environ.get("DATAFLOW_FAULT_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    rows = 200
    context = "The bridge opened in 1937 and was designed by Joseph Strauss. " * 8
    src = tmp_path / "data" / "rows.json"
    src.parent.mkdir()
    src.write_text(json.dumps([
        {"id": i, "context_vqa_filtered": {"context": context, "qas": [
            {"question": f"When did bridge {i} open?", "answer": "1937"},
            {"question": f"Who painted bridge {i}?", "answer": f"painter {i}"},
        ]}} for i in range(rows)
    ]))
    cache, log = tmp_path / "cache", tmp_path / "served.log"
    kills = 0
    for _ in range(6):
        run = Run(src, cache, log, delay=0.03, stage="vision")
        if run.wait_until_served(min(2 * rows, log_rows(log) + rng.randint(2, 100))):
            time.sleep(rng.uniform(0, 0.02))
        if run.proc.poll() is None:
            run.kill()
            kills += 1
        else:
            run.finish()
    assert kills >= 3, f"seed {seed}: only {kills} runs were still going when killed"
    code, err = Run(src, cache, log, stage="vision").finish()
    assert code == 0, f"seed {seed}: {err[-3000:]}"
    out = read_jsonl(cache / "t_step1.jsonl")
    assert [r["id"] for r in out] == list(range(rows)), f"seed {seed}"
    # EchoServing echoes the prompt, which holds the article: "1937" is found, "painter i" is not
    flags = [[q["answerable_without_image"] for q in r["context_vqa_vision"]["qas"]] for r in out]
    assert flags == [[True, False]] * rows
    assert all(r["context_vqa_vision_reasons"] == ["qa[0]: answerable_without_image"] for r in out)
    served = len(log.read_text().splitlines())
    assert 2 * rows <= served <= 2 * rows + kills * 2 * CHUNK, f"seed {seed}: {served} prompts over {kills} kills"
