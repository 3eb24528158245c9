"""FileStorage write+read of 100,000 rows against raw pandas on the same frame.

    python benchmarks/storage_throughput.py [--rows 100000]

For json and jsonl: FileStorage.write (atomic, fsynced, indented JSON, exact round-trip) then
FileStorage.read("dataframe"), against ``DataFrame.to_json(orient="records")`` then
``pandas.read_json`` (``lines=True`` for jsonl; ``indent=2`` for json, like ours). Ratio =
ours / pandas. Target: <= 1.3.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from _common import best_of, write_report


def make_frame(n: int):
    import pandas as pd

    return pd.DataFrame({
        "id": [f"{i:07d}" for i in range(n)],
        "image": [[f"./example_data/image_contextvqa/img_{i % 997}.jpg"] for i in range(n)],
        "conversation": [[{"from": "human", "value": "Write a Wikipedia article related to this image."}]] * n,
        "vqa": [f"Article number {i}: the Eiffel Tower is a wrought-iron lattice tower in Paris. Q: Who? A: Eiffel."
                for i in range(n)],
        "score": [i / 7 for i in range(n)],
    })


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    import pandas as pd

    from dataflow.utils.storage import FileStorage

    frame = make_frame(args.rows)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in.json"
        src.write_text("[]")
        for fmt in ("json", "jsonl"):
            storage = FileStorage(str(src), cache_path=tmp, file_name_prefix="bench", cache_type=fmt)
            step0 = storage.step()
            reader = storage.step()

            def ours():
                step0.write(frame)
                out = reader.read("dataframe")
                assert len(out) == args.rows and out["id"].iloc[7] == "0000007"

            raw_path = Path(tmp) / f"raw.{fmt}"

            def raw():
                if fmt == "json":
                    frame.to_json(raw_path, orient="records", force_ascii=False, indent=2)
                    out = pd.read_json(raw_path, orient="records", dtype=False)
                else:
                    frame.to_json(raw_path, orient="records", force_ascii=False, lines=True)
                    out = pd.read_json(raw_path, orient="records", lines=True, dtype=False)
                assert len(out) == args.rows

            ours_s, raw_s = best_of(ours), best_of(raw)
            rows.append({"format": fmt, "rows": args.rows, "ours_s": ours_s, "pandas_s": raw_s,
                         "ratio": ours_s / raw_s, "target": 1.3})
    write_report("storage_throughput", rows)


if __name__ == "__main__":
    main()
