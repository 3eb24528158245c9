import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


def run_cli(*args, cwd, check=True, env=None, python=sys.executable):
    """Run ``python -m dataflow ...`` the way a user runs the command, with no stdin."""
    return subprocess.run(
        [python, "-m", "dataflow", *args],
        cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300, check=check,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture
def repo_root():
    return REPO_ROOT
