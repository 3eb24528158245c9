"""A new user: a fresh `git clone`, nothing installed, the README's CPU command.

Nothing from this checkout's `.venv` or working directory may help: the clone gets its own venv,
the command runs in the clone with a PATH and environment free of any virtual environment, and the
package must come from the clone.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.slow


def readme_command(script: str) -> str:
    """The README's command line that runs ``script``, from its ```bash blocks."""
    readme = (REPO_ROOT / "README.md").read_text()
    for block in re.findall(r"```bash\n(.*?)```", readme, flags=re.S):
        for line in block.splitlines():
            if script in line and not line.lstrip().startswith("#"):
                return line.split("#", 1)[0].strip()
    raise AssertionError(f"README.md shows no command running {script}")


def new_user_env(home: Path) -> dict:
    venv = os.environ.get("VIRTUAL_ENV") or str(Path(sys.executable).parent.parent)
    path = [p for p in os.environ.get("PATH", "").split(os.pathsep) if p and not p.startswith(venv)]
    env = {k: v for k, v in os.environ.items()
           if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "DATAFLOW_CPU_VENV", "DATAFLOW_TEST_VENV")}
    env.update(PATH=os.pathsep.join(path), DATAFLOW_PROGRESS="0", HF_HUB_OFFLINE="1", PYTHONUNBUFFERED="1")
    return env


def test_the_readme_cpu_command_works_on_a_fresh_clone(tmp_path):
    if not (REPO_ROOT / ".git").exists() or shutil.which("git") is None:
        pytest.skip("not a git checkout: nothing to clone")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(REPO_ROOT), str(clone)], check=True, timeout=300)
    assert not (clone / ".venv").exists()
    command = readme_command("run_context_vqa_cpu.sh")
    try:
        proc = subprocess.run(["bash", "-c", command], cwd=clone, env=new_user_env(tmp_path), stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=2400)
        assert proc.returncode == 0, f"{command!r} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}"
        work = clone / "run_dataflow_mm_cpu"
        source = json.loads((work / "example_data" / "image_contextvqa" / "sample_data.json").read_text())
        for name in ("context_vqa_step1.json", "context_vqa_step2.json"):
            rows = json.loads((work / "cache_local" / name).read_text())
            assert len(rows) == len(source) == 6
        step2 = json.loads((work / "cache_local" / "context_vqa_step2.json").read_text())
        assert all(set(r["context_vqa"]) == {"context", "qas"} for r in step2)
        # the command the README promises exists, and the package it runs is the clone's own
        assert (clone / ".venv" / "bin" / "dataflow").exists()
        where = subprocess.run([str(clone / ".venv" / "bin" / "python"), "-c", "import dataflow; print(dataflow.__file__)"],
                               cwd="/", capture_output=True, text=True, check=True).stdout.strip()
        assert where.startswith(str(clone) + "/"), where
    finally:
        shutil.rmtree(clone / ".venv", ignore_errors=True)  # several GB
