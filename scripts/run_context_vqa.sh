#!/usr/bin/env bash
# Set up and run the ContextVQA pipeline on a GPU machine, from this checkout:
# a venv with dataflow, vLLM and the quality extra, a work folder made by `dataflow init`, then the
# seed's pipeline (gpu_pipelines/context_vqa_filtered.py, scaffolded beside it, adds the quality stage).
# Usage: scripts/run_context_vqa.sh [WORK_FOLDER]   (default: ./run_dataflow_mm)
#
# It first checks, in seconds and without installing anything, what the run needs: an NVIDIA
# GPU with its driver, Python >= 3.10 and disk space for the venv (~10 GB) and the model (~8 GB).
# DATAFLOW_SKIP_CHECKS=1 skips the checks; DATAFLOW_MIN_FREE_GB sets the disk threshold.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
WORK=${1:-run_dataflow_mm}
VENV=${DATAFLOW_VENV:-$REPO/.venv-gpu}
PYTHON=${PYTHON:-python3}

preflight() {
    local problems=()
    if ! command -v nvidia-smi >/dev/null 2>&1; then
        problems+=("no NVIDIA driver: nvidia-smi is not on PATH (vLLM's GPU build needs an NVIDIA GPU and driver)")
    elif ! nvidia-smi -L 2>/dev/null | grep -q '^GPU '; then
        problems+=("nvidia-smi lists no GPU (is the driver loaded? is CUDA_VISIBLE_DEVICES empty?)")
    fi
    if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
        problems+=("$PYTHON is missing or older than Python 3.10 (set PYTHON=/path/to/python3.10+)")
    fi
    local need=${DATAFLOW_MIN_FREE_GB:-}
    if [ -z "$need" ]; then
        need=8                                 # the model
        [ -x "$VENV/bin/python" ] || need=20   # plus the venv with vLLM and CUDA torch
    fi
    local probe=$REPO
    [ -d "$WORK" ] && probe=$WORK
    local free_gb
    free_gb=$(df -Pk "$probe" | awk 'NR==2 {print int($4 / 1048576)}')
    if [ "${free_gb:-0}" -lt "$need" ]; then
        problems+=("only ${free_gb} GB free on $(df -P "$probe" | awk 'NR==2 {print $6}'); this run needs about ${need} GB")
    fi
    if [ ${#problems[@]} -gt 0 ]; then
        {
            echo "run_context_vqa.sh: cannot run the GPU pipeline here; nothing was installed:"
            printf '  - %s\n' "${problems[@]}"
            echo "What you can do instead:"
            echo "  - see the whole flow on this CPU in a few minutes (tiny random model, noise text):"
            echo "      ./scripts/run_context_vqa_cpu.sh"
            echo "  - use a model behind an OpenAI-compatible API (OpenAI, or 'vllm serve' on a GPU machine):"
            echo "      switch gpu_pipelines/context_vqa.py to APIVLMServing_openai (README: 'No GPU here?')"
            echo "  - use the transformers backend (slower, no vLLM): LocalModelVLMServing_transformers"
            echo "  - skip these checks: DATAFLOW_SKIP_CHECKS=1 $0"
        } >&2
        exit 2
    fi
}

[ "${DATAFLOW_SKIP_CHECKS:-0}" = 1 ] || preflight

[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
"$VENV/bin/python" -m pip install -q "$REPO[vllm,quality]"
mkdir -p "$WORK"
cd "$WORK"
"$VENV/bin/dataflow" init
"$VENV/bin/python" gpu_pipelines/context_vqa.py
echo "Results: $(pwd)/cache_local/context_vqa_step2.json"
