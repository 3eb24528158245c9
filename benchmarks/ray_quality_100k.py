"""The quality stage at 100k rows on local Ray against one machine: ContextVQAFilter,
VisionDependencyFilter (an instant serving) and QADeduplicator.

    python benchmarks/ray_quality_100k.py [--rows 100000] [--actors 1]

Records as in ``quality_throughput.py`` with an ``image`` column (three rows per photo). The serving
answers every blind question "I cannot tell." at once, so the figures are the machinery's, not a
model's. One machine runs ``forward()``; Ray (``ray.init(num_cpus=2)`` on this machine) runs the same
pipeline with ``RayPipelineRunner``; both outputs are compared row for row.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path

from _common import write_report

from dataflow.core import GenerationResult, ServingCapabilities, VLMServingABC  # noqa: E402
from dataflow.operators.core_vision import ContextVQAFilter, QADeduplicator, VisionDependencyFilter  # noqa: E402
from dataflow.pipeline import PipelineABC  # noqa: E402
from dataflow.utils.storage import FileStorage  # noqa: E402


class InstantBlind(VLMServingABC):
    capabilities = ServingCapabilities(results=True)

    def generate_from_input(self, user_inputs, system_prompt=""):
        return ["I cannot tell."] * len(user_inputs)

    def generate_from_input_messages(self, conversations, image_list=None, video_list=None, audio_list=None,
                                     system_prompt=""):
        return ["I cannot tell."] * len(conversations)

    def generate_results(self, conversations, image_list=None, video_list=None, audio_list=None, system_prompt=""):
        return [GenerationResult(text="I cannot tell.", finish_reason="stop", output_tokens=4) for _ in conversations]

    def cleanup(self):
        pass


class QualityStage(PipelineABC):
    def __init__(self, data: Path, cache: Path):
        super().__init__()
        self.storage = FileStorage(str(data), cache_path=str(cache), file_name_prefix="q", cache_type="jsonl")
        self.filter = ContextVQAFilter()
        self.vision = VisionDependencyFilter(InstantBlind(), chunk_size=512, show_progress=False)
        self.dedup = QADeduplicator()

    def forward(self):
        self.filter.run(storage=self.storage.step(), input_key="context_vqa", output_key="context_vqa_filtered")
        self.vision.run(storage=self.storage.step(), input_key="context_vqa_filtered", output_key="context_vqa_vision")
        self.dedup.run(storage=self.storage.step(), input_key="context_vqa_vision", output_key="context_vqa_final")


def main() -> None:
    import ray

    from quality_throughput import record

    from dataflow.ray import RayPipelineRunner

    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--actors", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(0)
    earlier: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "records.jsonl"
        with open(data, "w") as fh:
            for i in range(args.rows):
                fh.write(json.dumps({"id": i, "image": [f"/photos/{i // 3:07d}.jpg"], "context_vqa": record(rng, earlier)}) + "\n")
        started = time.perf_counter()
        QualityStage(data, Path(tmp) / "local").forward()
        local = time.perf_counter() - started
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
        started = time.perf_counter()
        RayPipelineRunner(QualityStage(data, Path(tmp) / "ray"), num_actors=args.actors, gpus_per_actor=0,
                          batch_size=5000).run()
        on_ray = time.perf_counter() - started
        ray.shutdown()
        same = all((Path(tmp) / "local" / f"q_step{n}.jsonl").read_bytes() == (Path(tmp) / "ray" / f"q_step{n}.jsonl").read_bytes()
                   for n in (1, 2, 3))
        kept = sum(1 for _ in open(Path(tmp) / "local" / "q_step3.jsonl"))
    write_report("ray_quality_100k", [
        {"runner": "one machine (forward)", "rows": args.rows, "seconds": round(local, 1), "rows/s": round(args.rows / local),
         "x one machine": 1.0},
        {"runner": f"Ray, {args.actors} actor(s), 2 CPUs", "rows": args.rows, "seconds": round(on_ray, 1),
         "rows/s": round(args.rows / on_ray), "x one machine": round(on_ray / local, 2)},
    ], kept_rows=kept, same_files=same)


if __name__ == "__main__":
    main()
