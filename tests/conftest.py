import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent

# vLLM in tests: in-process engine (no worker process, no __main__ guard needed), a small KV
# cache, no downloads, caches in a temporary folder.
os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")
os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def run_cli(*args, cwd, check=True, env=None, python=sys.executable):
    """Run ``python -m dataflow ...`` the way a user runs the command, with no stdin."""
    return subprocess.run(
        [python, "-m", "dataflow", *args],
        cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300, check=check,
        env={**os.environ, **(env or {})},
    )


def require_vllm():
    """Skip without vLLM, unless the run says it is required (scripts/test.sh does): then fail."""
    try:
        import vllm  # noqa: F401
    except ImportError as err:
        if os.environ.get("DATAFLOW_REQUIRE_VLLM") == "1":
            pytest.fail(f"vLLM is required for this run (DATAFLOW_REQUIRE_VLLM=1) but cannot be imported: {err}")
        pytest.skip("vLLM is not installed")


@pytest.fixture
def repo_root():
    return REPO_ROOT


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory):
    """A tiny random Qwen2.5-VL checkpoint, built once per test session (~5 s)."""
    from dataflow.testing import build_tiny_qwen2_5_vl

    return build_tiny_qwen2_5_vl(tmp_path_factory.mktemp("tiny-qwen2.5-vl") / "ckpt")


@pytest.fixture(scope="session")
def family_checkpoint(tmp_path_factory):
    """``family_checkpoint(model_type)``: a tiny random checkpoint of that family, built once per session."""
    from dataflow.testing import build_tiny_vlm

    built = {}

    def get(family):
        if family not in built:
            built[family] = build_tiny_vlm(family, tmp_path_factory.mktemp(f"tiny-{family}") / "ckpt")
        return built[family]

    return get


@pytest.fixture(scope="session")
def example_images():
    folder = REPO_ROOT / "example_data" / "image_contextvqa"
    return {p.name: str(p) for p in folder.iterdir() if p.suffix in (".png", ".jpg")}
