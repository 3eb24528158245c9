"""The README's main-job commands on a machine like a new user's: the GPU script checks before it
spends, and the CPU path runs the scaffolded pipeline end to end."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, require_vllm


def run_script(name, *args, env=None, timeout=120):
    return subprocess.run(
        ["bash", str(REPO_ROOT / "scripts" / name), *args], stdin=subprocess.DEVNULL, capture_output=True,
        text=True, timeout=timeout, env={**os.environ, **(env or {})},
    )


def fake_nvidia_smi(folder: Path, listing: str) -> str:
    """A PATH holding an `nvidia-smi` that lists ``listing``, ahead of the usual tools."""
    folder.mkdir()
    smi = folder / "nvidia-smi"
    smi.write_text(f"#!/bin/sh\nprintf '%s' '{listing}'\n")
    smi.chmod(0o755)
    return f"{folder}:/usr/bin:/bin"


@pytest.mark.parametrize(
    "case, expected",
    [
        ("no driver", "no NVIDIA driver: nvidia-smi is not on PATH"),
        ("no gpu", "nvidia-smi lists no GPU"),
        ("no disk", "GB free on"),
    ],
)
def test_the_gpu_script_checks_first_and_installs_nothing(tmp_path, case, expected):
    venv = tmp_path / "venv"
    env = {"DATAFLOW_VENV": str(venv), "PATH": "/usr/bin:/bin", "PYTHON": sys.executable}
    if case == "no gpu":
        env["PATH"] = fake_nvidia_smi(tmp_path / "bin", "")
    if case == "no disk":
        env["PATH"] = fake_nvidia_smi(tmp_path / "bin", "GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-x)\n")
        env["DATAFLOW_MIN_FREE_GB"] = "100000000"
    started = time.monotonic()
    proc = run_script("run_context_vqa.sh", str(tmp_path / "work"), env=env, timeout=60)
    assert proc.returncode == 2 and time.monotonic() - started < 60
    assert expected in proc.stderr and "nothing was installed" in proc.stderr
    assert "./scripts/run_context_vqa_cpu.sh" in proc.stderr and "APIVLMServing_openai" in proc.stderr
    assert not venv.exists() and not (tmp_path / "work").exists()


@pytest.mark.slow
def test_the_cpu_path_runs_the_scaffolded_pipeline_end_to_end(tmp_path):
    require_vllm()
    work = tmp_path / "cpu_run"
    venv = Path(sys.executable).parent.parent  # the test venv already has the CPU build
    proc = run_script("run_context_vqa_cpu.sh", str(work), env={"DATAFLOW_CPU_VENV": str(venv),
                                                                "DATAFLOW_PROGRESS": "0"}, timeout=900)
    assert proc.returncode == 0, proc.stderr[-4000:]
    source = json.loads((work / "example_data" / "image_contextvqa" / "sample_data.json").read_text())
    step2 = json.loads((work / "cache_local" / "context_vqa_step2.json").read_text())
    assert len(step2) == len(source) >= 5
    assert all(r["vqa_error"] is None and set(r["context_vqa"]) == {"context", "qas"} for r in step2)
    # the user's scaffolded script is left as `dataflow init` wrote it
    assert '"Qwen/Qwen2.5-VL-3B-Instruct"' in (work / "gpu_pipelines" / "context_vqa.py").read_text()
    assert "noise text from a random model" in proc.stdout
