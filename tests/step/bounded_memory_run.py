"""Run a streaming pipeline over N generated rows in this process; print its peak RSS (MiB) as JSON.

    python tests/step/bounded_memory_run.py ROWS FOLDER CACHE_TYPE

Steps: PromptedVQAGenerator (EchoServing answering with a seed-layout article) -> WikiQARefiner ->
ContextVQAFilter -> VisionDependencyFilter (an instant blind serving) -> QADeduplicator.
"""

from __future__ import annotations

import json
import resource
import sys
from pathlib import Path

from dataflow.core import GenerationResult
from dataflow.operators.core_vision import (
    ContextVQAFilter,
    PromptedVQAGenerator,
    QADeduplicator,
    VisionDependencyFilter,
    WikiQARefiner,
)
from dataflow.testing import EchoServing
from dataflow.utils.storage import FileStorage

PLACES = ["Paris", "Rome", "Kyoto", "Cairo", "Lima", "Oslo", "Quito", "Hanoi"]


class Writer(EchoServing):
    """Article and QAs in the seed's layout for prompts ending in "[row N]"; "I cannot tell." otherwise."""

    def generate_results(self, conversations, image_list=None, video_list=None, audio_list=None, system_prompt=""):
        out = []
        for conversation in conversations:
            last = conversation[-1]
            text = str(last.get("content", last.get("value", "")))
            if "[row " in text:
                n = int(text[text.rindex("[row ") + 5 : -1])
                place, year = PLACES[n % len(PLACES)], 1000 + n % 997
                article = (f"The bridge number {n} stands in {place}. It was built in {year} by the guild of "
                           f"{PLACES[(n // 8) % len(PLACES)]} and carries {n % 50} lanes of traffic every day.")
                text = (f"**Wikipedia Article:**\n\n{article}\n\n**Question Answer Pairs:**\n\n"
                        f"**Question:** In which city does it stand?\n**Answer:** {place}\n\n"
                        f"**Question:** When was it built?\n**Answer:** {year}\n")
                out.append(GenerationResult(text=text, finish_reason="stop", output_tokens=60))
            else:
                out.append(GenerationResult(text="I cannot tell.", finish_reason="stop", output_tokens=4))
        return out


def main() -> None:
    rows, folder, cache_type = int(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    data = folder / "rows.jsonl"
    with open(data, "w") as fh:
        for i in range(rows):
            fh.write(json.dumps({"id": i, "image": [f"/photos/{i // 3:07d}.jpg"],
                                 "conversation": [{"from": "human", "value": f"Write an article. [row {i}]"}]}) + "\n")
    storage = FileStorage(str(data), cache_path=str(folder / "cache"), file_name_prefix="b", cache_type=cache_type)
    serving = Writer()
    PromptedVQAGenerator(serving, chunk_size=512, show_progress=False).run(
        storage.step(), input_image_key="image", output_answer_key="vqa")
    WikiQARefiner().run(storage.step(), input_key="vqa", output_key="context_vqa")
    ContextVQAFilter(min_context_words=10).run(storage.step(), input_key="context_vqa", output_key="context_vqa_filtered")
    VisionDependencyFilter(serving, chunk_size=512, show_progress=False).run(
        storage.step(), input_key="context_vqa_filtered", output_key="context_vqa_vision")
    QADeduplicator().run(storage.step(), input_key="context_vqa_vision", output_key="context_vqa_final")
    final = folder / "cache" / f"b_step5.{cache_type}"
    print(json.dumps({"rows": rows, "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "final_bytes": final.stat().st_size}))


if __name__ == "__main__":
    main()
