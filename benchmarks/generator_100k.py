"""PromptedVQAGenerator's own cost at 100k rows, with an instant fake serving (EchoServing).

    python benchmarks/generator_100k.py [--rows 100000]

Everything but the model: reading the input, fingerprinting it (cells and image stats), building
requests, the journal (fsynced per chunk), writing the step file and its meta record. Baseline in
the same run, the plain-Python floor of the same job: json load the input, build the output rows
(each with its answer), json dump them. Rows share six example images, as several prompts per image do.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

from _common import REPO, write_report

from dataflow.operators.core_vision import PromptedVQAGenerator
from dataflow.testing import EchoServing
from dataflow.utils.storage import FileStorage


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="dataflow-gen-"))
    images = sorted(p for p in (REPO / "example_data" / "image_contextvqa").iterdir() if p.suffix in (".png", ".jpg"))
    for image in images:
        shutil.copy(image, folder / image.name)
    rows = [{"id": i, "image": [images[i % len(images)].name],
             "conversation": [{"from": "human", "value": f"Write a Wikipedia article related to this image, {i}."}]}
            for i in range(args.rows)]
    src = folder / "rows.json"
    src.write_text(json.dumps(rows))

    def floor() -> None:
        data = json.loads(src.read_text())
        out = [{**r, "vqa": f"answer to {r['conversation'][0]['value']}", "vqa_error": None} for r in data]
        (folder / "floor.json").write_text(json.dumps(out, indent=2))

    def ours() -> None:
        cache = folder / "cache"
        shutil.rmtree(cache, ignore_errors=True)
        storage = FileStorage(str(src), cache_path=str(cache), file_name_prefix="g", cache_type="json")
        PromptedVQAGenerator(EchoServing(), show_progress=False).run(storage.step(), input_image_key="image",
                                                                     output_answer_key="vqa")

    results = []
    for _ in range(args.repeat):
        t0 = time.perf_counter(); floor(); t_floor = time.perf_counter() - t0
        t0 = time.perf_counter(); ours(); t_ours = time.perf_counter() - t0
        results.append((t_ours / t_floor, t_floor, t_ours))
    ratio, t_floor, t_ours = min(results)
    write_report("generator_100k", [
        {"what": "floor: json load + build rows + json dump", "seconds": t_floor, "rows_per_s": args.rows / t_floor},
        {"what": "PromptedVQAGenerator.run (EchoServing)", "seconds": t_ours, "rows_per_s": args.rows / t_ours,
         "x_floor": ratio},
    ], input_rows=args.rows, all_runs=[{"x_floor": r, "floor_s": f, "ours_s": o} for r, f, o in results])
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
