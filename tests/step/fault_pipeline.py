"""The pipelines the fault tests run in subprocesses, on a fast fake serving (EchoServing).

    python tests/step/fault_pipeline.py INPUT CACHE_DIR SERVED_LOG [--delay S] [--chunk-size N] [--stage S]

``--stage generate`` (default): PromptedVQAGenerator then WikiQARefiner. ``--stage vision``:
VisionDependencyFilter over ``context_vqa_filtered`` records.
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from dataflow.operators.core_vision import PromptedVQAGenerator, VisionDependencyFilter, WikiQARefiner  # noqa: E402
from dataflow.testing import EchoServing  # noqa: E402
from dataflow.utils.storage import FileStorage  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("input")
    parser.add_argument("cache")
    parser.add_argument("log")
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--chunk-size", type=int, default=10)
    parser.add_argument("--stage", choices=["generate", "vision"], default="generate")
    args = parser.parse_args()
    storage = FileStorage(args.input, cache_path=args.cache, file_name_prefix="t", cache_type="jsonl")
    serving = EchoServing(delay=args.delay, log_path=args.log)
    if args.stage == "vision":
        VisionDependencyFilter(serving, chunk_size=args.chunk_size, show_progress=False).run(
            storage.step(), input_key="context_vqa_filtered", output_key="context_vqa_vision"
        )
        return
    PromptedVQAGenerator(serving, chunk_size=args.chunk_size, show_progress=False).run(
        storage.step(), input_image_key="image", output_answer_key="vqa"
    )
    WikiQARefiner().run(storage.step(), input_key="vqa", output_key="context_vqa")


if __name__ == "__main__":
    main()
