#!/usr/bin/env bash
# Set up and run the ContextVQA pipeline on a GPU machine, from this checkout:
# a venv with dataflow and vLLM, a work folder made by `dataflow init`, then the pipeline.
# Usage: scripts/run_context_vqa.sh [WORK_FOLDER]   (default: ./run_dataflow_mm)
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
WORK=${1:-run_dataflow_mm}
VENV=${DATAFLOW_VENV:-$REPO/.venv-gpu}
PYTHON=${PYTHON:-python3}

[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
"$VENV/bin/python" -m pip install -q "$REPO[vllm]"
mkdir -p "$WORK"
cd "$WORK"
"$VENV/bin/dataflow" init
"$VENV/bin/python" gpu_pipelines/context_vqa.py
echo "Results: $(pwd)/cache_local/context_vqa_step2.json"
