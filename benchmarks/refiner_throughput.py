"""WikiQARefiner parsing speed on ~2 KB realistic model outputs, on one core.

    python benchmarks/refiner_throughput.py

Six output styles (bold labels, markdown headers with numbered items, Q1/A1, tables, fenced JSON,
chatter + notes), each ~2 KB, parsed by ``parse_wiki_qa``; reported as documents per second.
Target: >= 5,000 docs/s.

    python benchmarks/refiner_throughput.py --parse-only N

parses the first N documents once and exits (for counting instructions under cachegrind).
"""

from __future__ import annotations

import json
import random
import sys

from _common import best_of, write_report

from dataflow.operators.core_vision.refine import parse_wiki_qa
from dataflow.text.wikiqa.parser import _LINES

SENTENCES = [
    "The Eiffel Tower is a wrought-iron lattice tower on the Champ de Mars in Paris, France.",
    "It is named after the engineer Gustave Eiffel, whose company designed and built the tower from 1887 to 1889.",
    "Locally nicknamed La dame de fer, it was constructed as the centrepiece of the 1889 World's Fair.",
    "Although initially criticised by some of France's leading artists and intellectuals for its design, "
    "it has since become a global cultural icon of France.",
    "The tower received 5,889,000 visitors in 2022 and is the most visited monument with an entrance fee.",
    "It is 330 metres tall, about the same height as an 81-storey building, and the tallest structure in Paris.",
]
PAIRS = [
    ("Who is the structure named after?", "Gustave Eiffel"),
    ("In which years was it built?", "1887, 1889"),
    ("For which event was it the centrepiece?", "1889 World's Fair"),
    ("How tall is it?", "330 metres"),
    ("How many visitors did it receive in 2022?", "5,889,000"),
]


def article(rng: random.Random, n: int) -> str:
    # Every document is distinct (numbers woven in), as real outputs are: no line repeats.
    paragraphs = []
    for p in range(4):
        paragraphs.append(" ".join(f"{s[:-1]} (ref {n}.{p}.{k})." for k, s in enumerate(rng.sample(SENTENCES, 4))))
    return "\n\n".join(paragraphs)


def styles(rng: random.Random, n: int) -> list[str]:
    a = article(rng, n)
    pairs = [(f"{q[:-1]} (case {n})?", f"{ans} {n}") for q, ans in PAIRS]
    bold = "\n\n".join(f"**Question:** {q}\n**Answer:** {ans}" for q, ans in pairs)
    numbered = "\n".join(f"{i}. **{q}**\n   - {ans}" for i, (q, ans) in enumerate(pairs, 1))
    q1a1 = "\n".join(f"Q{i}: {q}\nA{i}: {ans}" for i, (q, ans) in enumerate(pairs, 1))
    table = "| Question | Answer |\n|---|---|\n" + "\n".join(f"| {q} | {ans} |" for q, ans in pairs)
    js = json.dumps({"context": a, "qas": [{"question": q, "answer": ans} for q, ans in pairs]}, indent=2)
    return [
        f"**Wikipedia Article:**\n\n{a}\n\n**Question Answer Pairs:**\n\n{bold}",
        f"### Wikipedia Article\n{a}\n\n### Question Answer Pairs\n{numbered}",
        f"{a}\n\nQuestion-Answer Pairs:\n{q1a1}",
        f"## Eiffel Tower\n\n{a}\n\n## Questions and Answers\n\n{table}",
        f"```json\n{js}\n```",
        f"Sure! Here is a Wikipedia-style article.\n\n{a}\n\n---\n\nQ&A:\n{q1a1}\n\nNote: answers come from the article.",
    ]


def main() -> None:
    rng = random.Random(0)
    docs = [doc for n in range(400) for doc in styles(rng, n)]  # 2,400 distinct documents
    if len(sys.argv) == 3 and sys.argv[1] == "--parse-only":
        # One pass over the first N documents, nothing else: for an instruction count, which does not
        # drift with the machine's speed. Per document: (count at N - count at 0) / N, e.g. with
        #   valgrind --tool=cachegrind --cache-sim=no python benchmarks/refiner_throughput.py --parse-only 600
        for d in docs[: int(sys.argv[2])]:
            parse_wiki_qa(d)
        return
    size = sum(len(d) for d in docs) / len(docs)
    pairs = sum(len(parse_wiki_qa(d)["qas"]) for d in docs)
    assert pairs == 5 * len(docs), pairs  # every style parses completely
    def one_pass():
        _LINES.clear()  # no line classification cached by an earlier pass
        for d in docs:
            parse_wiki_qa(d)

    seconds = best_of(one_pass, repeat=5)
    write_report(
        "refiner_throughput",
        [{"docs": len(docs), "avg_bytes": round(size), "seconds": seconds, "docs_per_s": len(docs) / seconds,
          "target_docs_per_s": 5000}],
    )


if __name__ == "__main__":
    main()
