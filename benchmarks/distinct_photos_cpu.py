"""170 distinct photos x 3 prompts each: the pipeline against a plain vLLM script that decodes its images.

    python benchmarks/distinct_photos_cpu.py [--photos 170] [--prompts 3] [--new-tokens 64] [--repeat 3]

One vLLM engine (CPU build) on the tiny random Qwen2.5-VL checkpoint, one process. 170 distinct
1024x768 JPEGs (random crops, flips and colour shifts of the example images, seeded), each asked 3
different prompts (510 rows), every answer forced to ``--new-tokens`` tokens.

* plain script (baseline): what a user would write without this library: for each row, open and
  decode its image with PIL, then one ``LLM.generate`` over all rows; decoding is inside the
  timed region;
* raw floor: the same ``LLM.generate`` over images decoded beforehand (nothing but generation);
* pipeline: FileStorage -> PromptedVQAGenerator (continuous feed, journaled, images decoded at a
  reduced scale and once per photo) -> WikiQARefiner.

Target: pipeline / plain script <= 0.72 (the raw floor is about 0.63 of it). Runs alternate; best
of ``--repeat`` each.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import time
from pathlib import Path

os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")
os.environ.setdefault("DATAFLOW_PROGRESS", "0")

from _common import REPO, write_report  # noqa: E402

PROMPTS = [
    "Write a Wikipedia article related to this image without directly referring to the image.",
    "Describe the history of what this image shows in a short encyclopedic paragraph.",
    "Write three question answer pairs about the subject of this image.",
]


def make_photos(folder: Path, n: int) -> list[str]:
    from PIL import Image, ImageEnhance, ImageOps

    rng = random.Random(0)
    sources = [Image.open(p).convert("RGB") for p in sorted((REPO / "example_data" / "image_contextvqa").glob("*.[jp][pn]g"))]
    names = []
    for i in range(n):
        image = sources[i % len(sources)]
        w, h = image.size
        cw, ch = int(w * rng.uniform(0.6, 1.0)), int(h * rng.uniform(0.6, 1.0))
        x, y = rng.randint(0, w - cw), rng.randint(0, h - ch)
        photo = image.crop((x, y, x + cw, y + ch)).resize((1024, 768))
        if rng.random() < 0.5:
            photo = ImageOps.mirror(photo)
        photo = ImageEnhance.Color(photo).enhance(rng.uniform(0.6, 1.4))
        name = f"photo_{i:03d}.jpg"
        photo.save(folder / name, quality=90)
        names.append(name)
    return names


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--photos", type=int, default=170)
    parser.add_argument("--prompts", type=int, default=3)
    parser.add_argument("--new-tokens", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from PIL import Image

    from dataflow.operators.core_vision import PromptedVQAGenerator, WikiQARefiner
    from dataflow.serving.local_model_vlm_serving import LocalModelVLMServing_vllm
    from dataflow.testing import build_tiny_qwen2_5_vl
    from dataflow.utils.storage import FileStorage

    tmp = Path(tempfile.mkdtemp(prefix="dataflow-photos-"))
    model = build_tiny_qwen2_5_vl(tmp / "model")
    names = make_photos(tmp, args.photos)
    rows = [{"id": f"{i:03d}-{k}", "image": [name], "conversation": [{"from": "human", "value": PROMPTS[k]}]}
            for i, name in enumerate(names) for k in range(args.prompts)]
    src = tmp / "rows.json"
    src.write_text(json.dumps(rows))
    serving = LocalModelVLMServing_vllm(model, vllm_max_tokens=args.new_tokens, vllm_min_tokens=args.new_tokens,
                                        show_progress=False)
    serving.load_model()
    adapter = serving._resolve()
    processor = adapter.processor
    prompt_text = {
        p: processor.apply_chat_template(
            [{"role": "system", "content": "You are a helpful assistant."},
             {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": p}]}],
            tokenize=False, add_generation_prompt=True)
        for p in PROMPTS
    }
    params = serving._sampling_params

    def plain() -> float:
        t = time.perf_counter()
        requests = [{"prompt": prompt_text[r["conversation"][0]["value"]],
                     "multi_modal_data": {"image": Image.open(tmp / r["image"][0]).convert("RGB")}} for r in rows]
        out = serving.llm.generate(requests, params, use_tqdm=False)
        assert len(out) == len(rows)
        return time.perf_counter() - t

    decoded = {name: Image.open(tmp / name).convert("RGB") for name in names}
    floor_requests = [{"prompt": prompt_text[r["conversation"][0]["value"]], "multi_modal_data": {"image": decoded[r["image"][0]]}}
                      for r in rows]

    def floor() -> float:
        t = time.perf_counter()
        serving.llm.generate(floor_requests, params, use_tqdm=False)
        return time.perf_counter() - t

    run = [0]

    def pipeline() -> float:
        run[0] += 1
        st = FileStorage(str(src), cache_path=str(tmp / f"run{run[0]}"), file_name_prefix="p", cache_type="json")
        t = time.perf_counter()
        PromptedVQAGenerator(serving, show_progress=False).run(
            st.step(), input_conversation_key="conversation", input_image_key="image", output_answer_key="vqa")
        WikiQARefiner().run(st.step(), input_key="vqa", output_key="context_vqa")
        seconds = time.perf_counter() - t
        out = json.loads(Path(st._get_cache_file_path(2)).read_text())
        assert len(out) == len(rows) and all(r["vqa_error"] is None for r in out)
        return seconds

    floor()  # warm-up
    timings: dict[str, list[float]] = {"plain": [], "floor": [], "pipeline": []}
    for _ in range(args.repeat):
        timings["plain"].append(plain())
        timings["floor"].append(floor())
        timings["pipeline"].append(pipeline())
    best = {k: min(v) for k, v in timings.items()}
    write_report(
        "distinct_photos_cpu",
        [
            {"measure": "raw generate over pre-decoded images / plain script", "baseline_s": best["plain"],
             "ours_s": best["floor"], "ratio": best["floor"] / best["plain"]},
            {"measure": "pipeline / plain script", "baseline_s": best["plain"], "ours_s": best["pipeline"],
             "ratio": best["pipeline"] / best["plain"], "target": 0.72},
        ],
        photos=args.photos, prompts_per_photo=args.prompts, new_tokens=args.new_tokens, all_timings=timings,
    )
    serving.cleanup()


if __name__ == "__main__":
    main()
