"""The quality stage on 100k ContextVQA records: ContextVQAFilter (one core) and QADeduplicator.

    python benchmarks/quality_throughput.py [--rows 100000]

Records as WikiQARefiner writes them: a ~120-word article (distinct per row, built from a pool of
sentences with numbers and names woven in; 1 in 50 a near copy of an earlier article; 1 in 20
pointing at "the image"), 3 to 6 QAs (answers in the article, not in it, too long, repeated from
another row). Timed: ``ContextVQAFilter().process`` and ``QADeduplicator().process`` on the whole
frame, best of 3, against a baseline in the same run that only walks the records (``json.dumps``
of every record: the floor of touching the data). Target: the filter >= 20,000 rows/s on one core.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time

from _common import best_of, write_report

os.environ.setdefault("OMP_NUM_THREADS", "1")

import pandas as pd  # noqa: E402

from dataflow.operators.core_vision import ContextVQAFilter, QADeduplicator  # noqa: E402

SUBJECTS = ["The Louvre", "The Golden Gate Bridge", "Mount Fuji", "The golden retriever", "The Eiffel Tower",
            "Lake Baikal", "The Colosseum", "The red fox", "The Amazon River", "Big Ben"]
PLACES = ["Paris", "San Francisco", "Honshu", "Scotland", "Siberia", "Rome", "Brazil", "London", "Kyoto", "Cairo"]
VERBS = ["was built", "was described", "was first recorded", "was restored", "became famous", "was surveyed"]
PEOPLE = ["Joseph Strauss", "Gustave Eiffel", "Philip II", "Lord Tweedmouth", "Irving Morrow", "Ada Lovelace"]


def sentence(rng: random.Random) -> str:
    return (f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} in {rng.randint(1100, 2023)} near {rng.choice(PLACES)}, "
            f"according to {rng.choice(PEOPLE)}, who counted {rng.randint(2, 90_000):,} visitors and "
            f"{rng.randint(2, 20)} galleries.")


def record(rng: random.Random, earlier: list[str]) -> dict:
    if earlier and rng.random() < 0.02:
        context = earlier[rng.randrange(len(earlier))].replace(" near ", " close to ", 1)  # a near copy
    else:
        context = " ".join(sentence(rng) for _ in range(5))
        if rng.random() < 0.05:
            context = "This image shows a landmark. " + context
    earlier.append(context)
    words = context.replace(",", "").replace(".", "").split()
    qas = []
    for _ in range(rng.randint(3, 6)):
        kind = rng.random()
        if kind < 0.6:
            start = rng.randrange(len(words) - 3)
            answer = " ".join(words[start : start + rng.randint(1, 3)])
        elif kind < 0.8:
            answer = rng.choice(["Tokyo Tower", "1492", "the Nile", "Marie Curie"])
        elif kind < 0.9:
            answer = " ".join(words[:25])
        else:
            answer = "Paris"
        if rng.random() < 0.05:  # a question another row asked too (QADeduplicator's work)
            question, answer = "Which city is named in the article?", "Paris"
        else:
            question = f"What does the article record about {rng.choice(words)} ({rng.randint(1, 10**6)})?"
        qas.append({"question": question, "answer": answer})
    return {"context": context, "qas": qas}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    rng = random.Random(0)
    earlier: list[str] = []
    frame = pd.DataFrame({"id": range(args.rows), "context_vqa": [record(rng, earlier) for _ in range(args.rows)]})

    walk = best_of(lambda: [json.dumps(r) for r in frame["context_vqa"].tolist()])
    filt = ContextVQAFilter()
    t_filter = best_of(lambda: filt.process(frame))
    filtered = filt.process(frame)
    kept = filtered[filtered["context_vqa_filtered"].map(lambda v: v is not None)].reset_index(drop=True)
    dedup = QADeduplicator()
    started = time.perf_counter()
    deduped = dedup.process(kept, input_key="context_vqa_filtered", output_key="context_vqa_final", input_image_key=None)
    t_dedup = time.perf_counter() - started

    reasons = filtered["context_vqa_filtered_reasons"].tolist()
    rows = [
        {"stage": "walk records (json.dumps)", "rows": args.rows, "seconds": walk, "rows_per_s": args.rows / walk,
         "x_walk": 1.0},
        {"stage": "ContextVQAFilter.process", "rows": args.rows, "seconds": t_filter, "rows_per_s": args.rows / t_filter,
         "x_walk": t_filter / walk},
        {"stage": "QADeduplicator.process", "rows": len(kept), "seconds": t_dedup, "rows_per_s": len(kept) / t_dedup,
         "x_walk": t_dedup / walk},
    ]
    write_report(
        "quality_throughput", rows, threads="OMP_NUM_THREADS=1, one Python thread",
        filter_kept_rows=len(kept), filter_rejected_rows=args.rows - len(kept),
        image_reference_rows=sum("row: image_reference" in r for r in reasons),
        near_duplicate_articles=int(deduped["context_vqa_final_near_duplicate_of"].notna().sum()),
        repeated_qas_removed=sum(str(r).count("duplicate_qa") for r in deduped["context_vqa_final_reasons"]),
        target_filter_rows_per_s=20_000,
    )


if __name__ == "__main__":
    main()
