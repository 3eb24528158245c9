"""Resume after a crash: a full run against a rerun after ``kill -9`` at about 50% (vLLM CPU engine).

    python benchmarks/resume_cpu.py [--rows 600] [--new-tokens 64] [--chunk-size 50]

The ContextVQA pipeline as users run it (``dataflow init``, model line pointed at the tiny random
checkpoint, ``python gpu_pipelines/context_vqa.py``), each run a fresh process. Run 1 goes to the
end; run 2 (a fresh folder) is killed with SIGKILL once half the rows are saved; run 3 reruns it.
Target: rerun <= 0.6 x full run. Process times include starting Python, importing vLLM and
loading the engine, which a rerun pays again: ``process_startup_s`` is a whole run of one row, and
the last row gives the ratio without it (what remains when the model, not start-up, dominates).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import REPO, write_report

SCRIPT = Path("gpu_pipelines") / "context_vqa.py"


def setup(folder: Path, model: str, rows: int, new_tokens: int, chunk_size: int) -> Path:
    folder.mkdir(parents=True)
    subprocess.run([sys.executable, "-m", "dataflow", "init"], cwd=folder, check=True, capture_output=True,
                   stdin=subprocess.DEVNULL)
    script = folder / SCRIPT
    text = script.read_text().replace('"Qwen/Qwen2.5-VL-3B-Instruct"', repr(model))
    text = text.replace("vllm_max_tokens=512", f"vllm_max_tokens={new_tokens}, vllm_min_tokens={new_tokens}")
    text = text.replace('system_prompt= "You are a helpful assistant."',
                        f'system_prompt= "You are a helpful assistant.", chunk_size={chunk_size}')
    script.write_text(text)
    data = folder / "example_data" / "image_contextvqa" / "sample_data.json"
    template = json.loads(data.read_text())
    data.write_text(json.dumps([{**template[i % len(template)], "id": i} for i in range(rows)]))
    return folder


def env() -> dict:
    return {**os.environ, "VLLM_ENABLE_V1_MULTIPROCESSING": "0", "DATAFLOW_PROGRESS": "0",
            "VLLM_CPU_KVCACHE_SPACE": os.environ.get("VLLM_CPU_KVCACHE_SPACE", "2"), "PYTHONPATH": str(REPO)}


def run(folder: Path) -> tuple[float, str]:
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, str(folder / SCRIPT)], cwd=folder, env=env(), capture_output=True,
                          text=True, stdin=subprocess.DEVNULL)
    if proc.returncode:
        raise SystemExit(proc.stderr[-3000:])
    return time.perf_counter() - t0, proc.stderr


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=600)
    parser.add_argument("--new-tokens", type=int, default=64)
    parser.add_argument("--chunk-size", type=int, default=50)
    args = parser.parse_args()
    from dataflow.testing import build_tiny_qwen2_5_vl

    tmp = Path(tempfile.mkdtemp(prefix="dataflow-resume-"))
    model = build_tiny_qwen2_5_vl(tmp / "model")
    startup_s, _ = run(setup(tmp / "one-row", model, 1, args.new_tokens, args.chunk_size))
    full_s, log = run(setup(tmp / "full", model, args.rows, args.new_tokens, args.chunk_size))
    load_s = float(re.search(r"vLLM engine ready in ([\d.]+)s", log).group(1))

    folder = setup(tmp / "killed", model, args.rows, args.new_tokens, args.chunk_size)
    partial = folder / "cache_local" / "context_vqa_step1.json.partial.jsonl"
    proc = subprocess.Popen([sys.executable, str(folder / SCRIPT)], cwd=folder, env=env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    t0 = time.perf_counter()
    while True:
        if partial.exists() and len(partial.read_text().splitlines()) - 1 >= args.rows // 2:
            break
        if proc.poll() is not None:
            raise SystemExit("the run ended before it was killed")
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    killed_after_s = time.perf_counter() - t0
    saved = len(partial.read_text().splitlines()) - 1
    rerun_s, log = run(folder)
    sent = int(re.findall(r"sent to the model (\d+)", log)[0])
    rows = json.loads((folder / "cache_local" / "context_vqa_step1.json").read_text())
    assert [r["id"] for r in rows] == list(range(args.rows))
    write_report(
        "resume_cpu",
        [
            {"run": "full", "seconds": full_s, "rows_sent_to_model": args.rows},
            {"run": "killed at ~50%", "seconds": killed_after_s, "rows_saved": saved},
            {"run": "rerun", "seconds": rerun_s, "rows_sent_to_model": sent, "ratio_to_full": rerun_s / full_s,
             "target": 0.6},
            {"run": "rerun, process startup excluded", "seconds": rerun_s - startup_s,
             "ratio_to_full": (rerun_s - startup_s) / (full_s - startup_s), "target": 0.6},
        ],
        n_rows=args.rows, new_tokens=args.new_tokens, chunk_size=args.chunk_size, engine_load_s=load_s,
        process_startup_s=round(startup_s, 2),
    )


if __name__ == "__main__":
    main()
