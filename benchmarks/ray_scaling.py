"""Ray scale-out: rows/s of the ContextVQA pipeline with 1 and 2 actors (vLLM CPU engine).

    python benchmarks/ray_scaling.py [--rows 800] [--new-tokens 96]

A local Ray cluster (``ray.init(num_cpus=2)``), the ContextVQA pipeline's two steps run by
``RayPipelineRunner``, each actor holding its own vLLM CPU engine on the tiny random checkpoint.
Reported: whole-run rows/s (actor start-up and engine load included) and the model step's rows/s
counted from the first to the last shard written (steady state), with scaling efficiency =
speed-up / actors.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")
os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")
os.environ.setdefault("DATAFLOW_PROGRESS", "0")

from _common import REPO, write_report  # noqa: E402


class Pipeline:
    def __init__(self, model: str, data: str, cache: str, new_tokens: int):
        from dataflow.operators.core_vision import PromptedVQAGenerator, WikiQARefiner
        from dataflow.serving.local_model_vlm_serving import LocalModelVLMServing_vllm
        from dataflow.utils.storage import FileStorage

        self.storage = FileStorage(data, cache_path=cache, file_name_prefix="context_vqa", cache_type="json")
        self.vlm_serving = LocalModelVLMServing_vllm(
            model, vllm_max_tokens=new_tokens, vllm_min_tokens=new_tokens, show_progress=False
        )
        self.vqa_generator = PromptedVQAGenerator(serving=self.vlm_serving, show_progress=False)
        self.refiner = WikiQARefiner()

    def forward(self):
        self.vqa_generator.run(storage=self.storage.step(), input_conversation_key="conversation",
                               input_image_key="image", output_answer_key="vqa")
        self.refiner.run(storage=self.storage.step(), input_key="vqa", output_key="context_vqa")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=800)
    parser.add_argument("--new-tokens", type=int, default=96)
    parser.add_argument("--batch-size", type=int, default=50)
    args = parser.parse_args()
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), str(REPO / "benchmarks"), os.environ.get("PYTHONPATH")]))
    import ray

    from dataflow.prompts import SKVQA_PROMPT
    from dataflow.ray import RayPipelineRunner
    from dataflow.testing import build_tiny_qwen2_5_vl

    tmp = Path(tempfile.mkdtemp(prefix="dataflow-ray-"))
    model = build_tiny_qwen2_5_vl(tmp / "model")
    images = sorted(str(p) for p in (REPO / "example_data" / "image_contextvqa").glob("*.[jp][pn]g"))
    data = tmp / "rows.json"
    data.write_text(json.dumps([
        {"id": i, "image": [images[i % len(images)]], "conversation": [{"from": "human", "value": SKVQA_PROMPT}]}
        for i in range(args.rows)
    ]))
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    rows = []
    base = None
    for actors in (1, 2):
        cache = tmp / f"actors{actors}"
        t0 = time.perf_counter()
        RayPipelineRunner(Pipeline(model, str(data), str(cache), args.new_tokens), num_actors=actors,
                          gpus_per_actor=0, batch_size=args.batch_size).run()
        total = time.perf_counter() - t0
        shard_times = sorted(p.stat().st_mtime for p in (cache / "context_vqa_step1.shards").glob("shard-*.jsonl"))
        steady_rows = args.rows - args.batch_size  # rows written after the first shard
        steady = steady_rows / (shard_times[-1] - shard_times[0])
        base = base or steady
        rows.append({"actors": actors, "total_s": total, "rows_per_s_total": args.rows / total,
                     "rows_per_s_steady": steady, "speedup_steady": steady / base,
                     "efficiency": steady / base / actors})
    ray.shutdown()
    write_report("ray_scaling", rows, n_rows=args.rows, new_tokens=args.new_tokens, batch_size=args.batch_size)


if __name__ == "__main__":
    main()
