"""Output tokens/s of LocalModelVLMServing_transformers against HF's default eager ``generate``.

Both run in the same process, on the same model and the same inputs: the real Qwen2.5-VL-3B
architecture with random bf16 weights (built here, no download), one 448x448 image and the SK-VQA
prompt per row, a fixed number of new tokens (``min_new_tokens == max_new_tokens``, greedy).

    python benchmarks/gpu_transformers_generate.py --out results.json            # on a CUDA GPU
    python benchmarks/gpu_transformers_generate.py --preset tiny --batches 2 \\
        --static-batches "" --new-tokens 8                                       # CPU smoke run

Rows: ``eager`` = ``model.generate(**inputs)`` (HF default: dynamic cache, no compile);
``serving`` = our backend with defaults; ``serving+static`` = our backend with
``static_cache=True`` (static KV cache + torch.compile). Every row is timed on its second identical
call; the first (warm-up, and compilation for the static cache) is reported as ``first_call_s``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dataflow.prompts import SKVQA_PROMPT  # noqa: E402


def machine() -> str:
    import torch

    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    return f"{gpu}; torch {torch.__version__}; {platform.processor() or platform.machine()}; {os.cpu_count()} CPUs"


def sync() -> None:
    import torch

    if torch.cuda.is_available():
        torch.cuda.synchronize()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", choices=["3b", "tiny"], default="3b")
    parser.add_argument("--model-dir", default=None)
    parser.add_argument("--batches", default="64,1,8,32")
    parser.add_argument("--static-batches", default="64,1")
    parser.add_argument("--new-tokens", type=int, default=256)
    parser.add_argument("--out", default="gpu_transformers_generate.json")
    args = parser.parse_args()

    import torch
    from PIL import Image

    from dataflow.serving.transformers_vlm_serving import LocalModelVLMServing_transformers
    from dataflow.testing import build_random_qwen2_5_vl_3b, build_tiny_qwen2_5_vl

    cuda = torch.cuda.is_available()
    model_dir = args.model_dir or f"/tmp/dataflow-bench-qwen2_5_vl_{args.preset}"
    started = time.perf_counter()
    if not Path(model_dir, "config.json").exists():
        if args.preset == "3b":
            build_random_qwen2_5_vl_3b(model_dir, device="cuda" if cuda else "cpu")
        else:
            build_tiny_qwen2_5_vl(model_dir, max_pixels=448 * 448)
    build_s = time.perf_counter() - started

    image = Image.open(Path(__file__).resolve().parent.parent / "example_data/image_contextvqa/person.png")
    image = image.convert("RGB").resize((448, 448))
    n = args.new_tokens
    serving = LocalModelVLMServing_transformers(
        model_dir, temperature=0, max_tokens=n, min_tokens=n, min_pixels=448 * 448, max_pixels=448 * 448,
        show_progress=False,
    )
    started = time.perf_counter()
    serving.load_model()
    load_s = time.perf_counter() - started
    report = {
        "machine": machine(), "preset": args.preset, "new_tokens": n, "build_s": round(build_s, 1),
        "load_s": round(load_s, 1), "rows": [],
    }

    def save() -> None:
        Path(args.out).write_text(json.dumps(report, indent=2))

    def conversations(batch: int):
        return [[{"from": "human", "value": SKVQA_PROMPT}]] * batch, [[image]] * batch

    def eager(batch: int) -> dict:
        model, processor = serving.model, serving.processor
        convs, images = conversations(batch)
        rows = serving.prepare_rows(convs, images, None, None, "You are a helpful assistant.", lambda im, k: im)
        prompts = [serving.adapter.render(r.messages) for r in rows]
        inputs = processor(text=prompts, images=[image] * batch, padding=True, return_tensors="pt", padding_side="left")
        inputs = inputs.to(model.device)
        with torch.inference_mode():
            # Warm-up with the very same call, as for our backend: the first full-length call pays
            # for allocator growth and kernel selection, which a steady-state run does not.
            t0 = time.perf_counter()
            model.generate(**inputs, max_new_tokens=n, min_new_tokens=n, do_sample=False)
            sync()
            first_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            out = model.generate(**inputs, max_new_tokens=n, min_new_tokens=n, do_sample=False)
            sync()
            seconds = time.perf_counter() - t0
        new = out.shape[1] - inputs["input_ids"].shape[1]
        return {"prompt_tokens": int(inputs["input_ids"].shape[1]), "seconds": seconds, "out_tokens": batch * new,
                "first_call_s": first_s}

    def ours(batch: int, static: bool) -> dict:
        serving.batch_size = batch
        serving.static_cache = static
        convs, images = conversations(batch)
        t0 = time.perf_counter()
        first = serving.generate_results(convs, images)  # warm-up (compiles when static)
        sync()
        first_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        results = serving.generate_results(convs, images)
        sync()
        seconds = time.perf_counter() - t0
        errors = [r.error for r in results + first if r.error]
        if errors:
            raise RuntimeError(errors[0])
        return {"seconds": seconds, "out_tokens": sum(r.output_tokens for r in results), "first_call_s": first_s}

    batches = [int(b) for b in args.batches.split(",") if b]
    static_batches = {int(b) for b in args.static_batches.split(",") if b}
    print(f"machine: {report['machine']}  (build {build_s:.0f}s, load {load_s:.0f}s)", flush=True)
    print(f"{'batch':>5} {'backend':>15} {'out tok/s':>10} {'x eager':>8} {'seconds':>8}", flush=True)
    for batch in batches:
        base = eager(batch)
        base_tps = base["out_tokens"] / base["seconds"]
        measured = [("eager", base)]
        plans = [("serving", False)] + ([("serving+static", True)] if batch in static_batches and cuda else [])
        for name, static in plans:
            try:
                measured.append((name, ours(batch, static=static)))
            except Exception as err:  # record and go on: one failing mode must not lose the others
                report["rows"].append({"batch": batch, "backend": name, "error": f"{type(err).__name__}: {err}"})
                save()
                print(f"{batch:>5} {name:>15} failed: {type(err).__name__}: {str(err)[:300]}", flush=True)
        for name, m in measured:
            tps = m["out_tokens"] / m["seconds"]
            row = {"batch": batch, "backend": name, "out_tok_s": round(tps, 1), "x_eager": round(tps / base_tps, 2),
                   **{k: (round(v, 2) if isinstance(v, float) else v) for k, v in m.items()}}
            report["rows"].append(row)
            save()
            print(f"{batch:>5} {name:>15} {tps:>10.1f} {tps / base_tps:>8.2f} {m['seconds']:>8.1f}", flush=True)
    save()
    return 0


if __name__ == "__main__":
    sys.exit(main())
