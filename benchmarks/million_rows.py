"""The five-step filtered pipeline at 100k, 300k and 1M rows on one machine: seconds and peak memory
per step, with a plain-Python streaming floor measured in the same run.

    python benchmarks/million_rows.py [--rows 100000 300000 1000000] [--cache-types jsonl json]

Steps: PromptedVQAGenerator -> WikiQARefiner -> ContextVQAFilter -> VisionDependencyFilter ->
QADeduplicator, with ``FileStorage`` caches of each type. The serving is synthetic and instant, so
the figures are the library's, not a model's: it writes, for each row, a ~130-word Wikipedia-style
article in the seed's layout with 3 or 4 question/answer pairs (answers taken from the article), and
answers every blind question "I cannot tell.".

How the articles are made (the hard case for de-duplication): every sentence follows one of a few
templates over shared pools of subjects, places, people and verbs, so all articles share phrasing
(random pairs have a Jaccard similarity of 3-word shingles of about 0.15); three rows ask about
each photo; and ``--near`` (default 20%) of the rows get a near copy of an earlier row's article
(one number in one sentence changed: a similarity of about 0.95), with its questions.

Each (rows, cache type) runs in its own process, so its peak RSS is its own. The floor, in the same
process: five passes that each read the previous file a line at a time, parse it, add a column and
write it (what a streaming step cannot do with less).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

from _common import write_report

from dataflow.core import GenerationResult
from dataflow.operators.core_vision import (
    ContextVQAFilter,
    PromptedVQAGenerator,
    QADeduplicator,
    VisionDependencyFilter,
    WikiQARefiner,
)
from dataflow.pipeline import PipelineABC
from dataflow.testing import EchoServing
from dataflow.utils.storage import FileStorage

SUBJECTS = ["The Louvre", "The Golden Gate Bridge", "Mount Fuji", "The golden retriever", "The Eiffel Tower",
            "Lake Baikal", "The Colosseum", "The red fox", "The Amazon River", "Big Ben", "The Alhambra",
            "The snow leopard", "Angkor Wat", "The Danube", "The Sagrada Familia", "The bald eagle"]
PLACES = ["Paris", "San Francisco", "Honshu", "Scotland", "Siberia", "Rome", "Brazil", "London", "Kyoto", "Cairo",
          "Granada", "Cambodia", "Vienna", "Barcelona", "Alaska", "Nepal"]
PEOPLE = ["Joseph Strauss", "Gustave Eiffel", "Philip II", "Lord Tweedmouth", "Irving Morrow", "Ada Lovelace",
          "Antoni Gaudi", "Suryavarman II", "Mary Anning", "Ibn Battuta"]
VERBS = ["was built", "was described", "was first recorded", "was restored", "became famous", "was surveyed"]
TEMPLATES = [
    "{s} {v} in {y} near {p}, according to {who}, who counted {n:,} visitors and {k} galleries.",
    "In {y}, {who} wrote that {s} drew {n:,} people to {p} every year.",
    "{s} is about {k} kilometres from the centre of {p} and {v} by {who} in {y}.",
    "Records from {y} show that {s} had {k} keepers and {n:,} recorded guests near {p}.",
]


def _sentence(rng: random.Random) -> tuple[str, list[tuple[str, str]]]:
    s, p, who, v = rng.choice(SUBJECTS), rng.choice(PLACES), rng.choice(PEOPLE), rng.choice(VERBS)
    y, n, k = rng.randint(1100, 2023), rng.randint(2, 90_000), rng.randint(2, 40)
    text = rng.choice(TEMPLATES).format(s=s, p=p, who=who, v=v, y=y, n=n, k=k)
    facts = [(f"In which year is {who} cited about it?", str(y)), (f"Which city is it near, according to {who}?", p),
             (f"Who wrote about it in {y}?", who)]
    return text, facts


def _article(seed: int) -> tuple[list[str], list[tuple[str, str]]]:
    rng = random.Random(seed)
    sentences, facts = [], []
    for _ in range(6):
        text, more = _sentence(rng)
        sentences.append(text)
        facts.extend(more)
    return sentences, rng.sample(facts, rng.choice((3, 4)))


def model_output(row: int, near: float) -> str:
    """What the synthetic model writes for a row: its own article, or a near copy of an earlier one's."""
    h = zlib.crc32(f"near{row}".encode())
    if row > 10 and (h % 10_000) / 10_000 < near:
        earlier = h % row
        sentences, qas = _article(earlier)
        k = (h >> 8) % len(sentences)
        sentences[k] = re.sub(r"\d[\d,]*", lambda m: str(int(m.group().replace(",", "")) + 1), sentences[k], count=1)
    else:
        sentences, qas = _article(row)
    pairs = "\n\n".join(f"**Question:** {q}\n**Answer:** {a}" for q, a in qas)
    return f"**Wikipedia Article:**\n\n{' '.join(sentences)}\n\n**Question Answer Pairs:**\n\n{pairs}\n"


class SyntheticWriter(EchoServing):
    """An instant model: seed-layout articles for the generation prompt, "I cannot tell." otherwise."""

    def __init__(self, near: float):
        super().__init__()
        self.near = near

    def generate_results(self, conversations, image_list=None, video_list=None, audio_list=None, system_prompt=""):
        out = []
        for conversation in conversations:
            last = conversation[-1]
            text = last.get("content", last.get("value"))
            text = text if isinstance(text, str) else ""
            marker = text.rfind("[row ")
            if marker >= 0:
                row = int(text[marker + 5 : text.index("]", marker)])
                out.append(GenerationResult(text=model_output(row, self.near), finish_reason="stop", output_tokens=220))
            else:
                out.append(GenerationResult(text="I cannot tell.", finish_reason="stop", output_tokens=4))
        return out


class FiveSteps(PipelineABC):
    def __init__(self, data: Path, cache: Path, cache_type: str, near: float):
        super().__init__()
        self.storage = FileStorage(str(data), cache_path=str(cache), file_name_prefix="m", cache_type=cache_type)
        serving = SyntheticWriter(near)
        self.generator = PromptedVQAGenerator(serving, chunk_size=1024, show_progress=False)
        self.refiner = WikiQARefiner()
        self.filter = ContextVQAFilter()
        self.vision = VisionDependencyFilter(serving, chunk_size=1024, show_progress=False)
        self.dedup = QADeduplicator()

    def forward(self, timed=lambda name, run: run()):
        """The five steps; ``timed(name, run)`` runs each (the benchmark times them)."""
        timed("generate", lambda: self.generator.run(storage=self.storage.step(), input_image_key="image",
                                                     output_answer_key="vqa"))
        timed("refine", lambda: self.refiner.run(storage=self.storage.step(), input_key="vqa", output_key="context_vqa"))
        timed("filter", lambda: self.filter.run(storage=self.storage.step(), input_key="context_vqa",
                                                output_key="context_vqa_filtered"))
        timed("vision", lambda: self.vision.run(storage=self.storage.step(), input_key="context_vqa_filtered",
                                                output_key="context_vqa_vision"))
        timed("dedup", lambda: self.dedup.run(storage=self.storage.step(), input_key="context_vqa_vision",
                                              output_key="context_vqa_final"))


def make_input(path: Path, rows: int) -> None:
    prompt = "Write a Wikipedia article related to this image, then question answer pairs."
    with open(path, "w") as fh:
        for i in range(rows):
            fh.write(json.dumps({"id": i, "image": [f"/photos/{i // 3:07d}.jpg"],
                                 "conversation": [{"from": "human", "value": f"{prompt} [row {i}]"}]}) + "\n")


def floor(data: Path, folder: Path) -> float:
    """Five streaming passes in plain Python: read a line, parse it, add a column, write it."""
    import orjson

    started = time.perf_counter()
    source = data
    for step in range(1, 6):
        target = folder / f"floor{step}.jsonl"
        with open(source, "rb") as src, open(target, "wb") as out:
            for line in src:
                row = orjson.loads(line)
                row[f"c{step}"] = model_output(row["id"], 0.0) if step == 1 else len(line)
                out.write(orjson.dumps(row) + b"\n")
        source = target
    return time.perf_counter() - started


def _rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (1 << 20)


def one(rows: int, cache_type: str, near: float) -> dict:
    with tempfile.TemporaryDirectory(prefix="dataflow-1m-") as tmp:
        data = Path(tmp) / "rows.jsonl"
        make_input(data, rows)
        floor_s = floor(data, Path(tmp))
        for f in Path(tmp).glob("floor*.jsonl"):
            f.unlink()
        base_rss = _rss_gib()
        pipeline = FiveSteps(data, Path(tmp) / "cache", cache_type, near)
        timings: dict[str, float] = {}
        peaks: dict[str, float] = {}

        def timed(name, run):
            began = time.perf_counter()
            run()
            timings[name] = time.perf_counter() - began
            peaks[name] = _rss_gib()

        started = time.perf_counter()
        pipeline.forward(timed)
        total = time.perf_counter() - started
        meta = Path(tmp) / "cache" / f"m_step5.{cache_type}.meta.json"
        kept = json.loads(meta.read_text())["rows"]
    result = {"rows": rows, "cache": cache_type, "total s": round(total, 1), "floor s": round(floor_s, 1),
              "x floor": round(total / floor_s, 2), "rows/s": round(rows / total)}
    for name in timings:
        result[f"{name} s"] = round(timings[name], 1)
    result["dedup rows/s"] = round(rows / timings["dedup"]) if timings.get("dedup") else None
    result["RSS before GiB"] = round(base_rss, 2)
    for name in peaks:
        result[f"peak after {name} GiB"] = round(peaks[name], 2)
    result["kept"] = kept
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 300_000, 1_000_000])
    parser.add_argument("--cache-types", nargs="+", default=["jsonl", "json"])
    parser.add_argument("--near", type=float, default=0.2, help="share of rows with a near-copy article")
    parser.add_argument("--one", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--out", help="report path (default benchmarks/results/million_rows.json)")
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(int(args.one[0]), args.one[1], args.near)))
        return
    results = []
    for cache_type in args.cache_types:
        for rows in args.rows:
            proc = subprocess.run([sys.executable, __file__, "--one", str(rows), cache_type, "--near", str(args.near)],
                                  capture_output=True, text=True)
            if proc.returncode:
                sys.stderr.write(proc.stderr[-4000:])
                raise SystemExit(f"{rows} rows, {cache_type}: failed")
            results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
            print(json.dumps(results[-1]), flush=True)
    write_report("million_rows", results, out=args.out, near_duplicate_share=args.near)


if __name__ == "__main__":
    main()
