"""``python -m dataflow.ray gpu_pipelines/context_vqa.py:ContextVQAPipeline --actors 8``"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

from dataflow.ray.runner import RayPipelineRunner


def load_pipeline(spec: str):
    path, _, class_name = spec.partition(":")
    file = Path(path).resolve()
    if not file.is_file() or not class_name:
        raise SystemExit(f"expected PATH/TO/pipeline.py:ClassName, got {spec!r}")
    sys.path.insert(0, str(file.parent))
    module_spec = importlib.util.spec_from_file_location(file.stem, file)
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[file.stem] = module
    module_spec.loader.exec_module(module)
    return getattr(module, class_name)()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dataflow.ray", description="Run a pipeline on a Ray cluster.")
    parser.add_argument("pipeline", help="PATH/TO/pipeline.py:ClassName (constructed with no arguments)")
    parser.add_argument("--actors", type=int, default=1, help="actors per model-backed step (default 1)")
    parser.add_argument("--gpus-per-actor", type=float, default=1, help="GPUs each actor reserves (default 1)")
    parser.add_argument("--cpus-per-actor", type=float, default=1)
    parser.add_argument("--batch-size", type=int, default=256, help="rows per actor call (default 256)")
    parser.add_argument("--max-retries", type=int, default=3)
    parser.add_argument("--address", default=None, help="Ray cluster address (default: running or local)")
    args = parser.parse_args(argv)
    runner = RayPipelineRunner(
        load_pipeline(args.pipeline), num_actors=args.actors, gpus_per_actor=args.gpus_per_actor,
        cpus_per_actor=args.cpus_per_actor, batch_size=args.batch_size, max_retries=args.max_retries,
        ray_address=args.address,
    )
    for path in runner.run():
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
