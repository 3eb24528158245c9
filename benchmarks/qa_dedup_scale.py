"""QADeduplicator on one machine at 100k and 1M rows: seconds and peak memory.

    python benchmarks/qa_dedup_scale.py [--rows 100000 1000000]

Records as in ``quality_throughput.py`` (a ~120-word article per row from a pool of sentences with
numbers and names woven in, so articles share phrasing; 1 in 50 a near copy of an earlier one; 3 to
6 QAs, 1 in 20 a question many rows ask) and an ``image`` column with three rows per image (three
prompts per photo: QA repeats are looked for within an image and within near-duplicate articles).
Each size runs in its own process, so that its peak RSS is its own; the baseline in the same process
walks the records (``json.dumps`` of each), the floor of touching the data.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time

from _common import write_report


def one(rows: int) -> dict:
    import pandas as pd

    from quality_throughput import record

    from dataflow.operators.core_vision import QADeduplicator

    rng = random.Random(0)
    earlier: list[str] = []
    frame = pd.DataFrame({"image": [f"/photos/{i // 3:07d}.jpg" for i in range(rows)],
                          "r": [record(rng, earlier) for _ in range(rows)]})
    del earlier
    rss_data = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    for r in frame["r"].tolist():
        json.dumps(r)
    walk = time.perf_counter() - started
    started = time.perf_counter()
    out = QADeduplicator().process(frame, input_key="r", output_key="d")
    seconds = time.perf_counter() - started
    reasons = out["d_reasons"].tolist()
    return {"rows": rows, "walk s": round(walk, 2), "dedup s": round(seconds, 1), "rows/s": round(rows / seconds),
            "x walk": round(seconds / walk, 1), "RSS with data MiB": round(rss_data),
            "peak RSS MiB": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "QAs removed": sum(str(r).count("duplicate_qa") for r in reasons),
            "near-duplicate articles": int(out["d_near_duplicate_of"].notna().sum())}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one)))
        return
    rows = []
    for n in args.rows:
        proc = subprocess.run([sys.executable, __file__, "--one", str(n)], capture_output=True, text=True, check=True)
        rows.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    write_report("qa_dedup_scale", rows)


if __name__ == "__main__":
    main()
