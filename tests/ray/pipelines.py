"""Pipelines for the Ray tests: ContextVQAPipeline's shape on the tiny checkpoint (transformers backend).

Greedy decoding of one row at a time makes every row's answer independent of how rows are split
between actors, so a Ray run can be compared with a single-machine run exactly.
"""

import os
import time

from dataflow.operators.core_vision import (
    ContextVQAFilter,
    ImageDeduplicator,
    ImageQualityFilter,
    PromptedVQAGenerator,
    QADeduplicator,
    VisionDependencyFilter,
    WikiQARefiner,
)
from dataflow.pipeline import PipelineABC
from dataflow.serving.transformers_vlm_serving import LocalModelVLMServing_transformers
from dataflow.testing import EchoServing
from dataflow.utils.storage import FileStorage


class CrashOnceServing(LocalModelVLMServing_transformers):
    """Kills its own process on its first batch while ``flag`` exists (removing it first)."""

    def __init__(self, *args, flag=None, delay=0.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.flag = flag
        self.delay = delay

    def generate_prepared(self, rows, json_schema=None):
        if self.flag:
            try:
                os.unlink(self.flag)
            except FileNotFoundError:
                pass
            else:
                os._exit(1)
        time.sleep(self.delay)
        return super().generate_prepared(rows, json_schema)


class TinyContextVQAPipeline:
    def __init__(self, model, data, cache, flag=None, delay=0.0):
        self.storage = FileStorage(
            first_entry_file_name=data, cache_path=cache, file_name_prefix="context_vqa", cache_type="json"
        )
        self.vlm_serving = CrashOnceServing(
            model, temperature=0, max_tokens=8, min_tokens=8, batch_size=1, show_progress=False, flag=flag, delay=delay
        )
        self.vqa_generator = PromptedVQAGenerator(serving=self.vlm_serving, system_prompt="You are a helpful assistant.",
                                                  show_progress=False)
        self.refiner = WikiQARefiner()

    def forward(self):
        self.vqa_generator.run(
            storage=self.storage.step(), input_conversation_key="conversation", input_image_key="image",
            output_answer_key="vqa",
        )
        self.refiner.run(storage=self.storage.step(), input_key="vqa", output_key="context_vqa")


class ArticleServing(EchoServing):
    """EchoServing's checks, answering a ContextVQA prompt with an article and two QAs about it (row
    ``i`` of ``Describe picture i.`` gets site ``i % 4``) and a blind question with "I cannot tell"."""

    def generate_results(self, conversations, image_list=None, video_list=None, audio_list=None, system_prompt=""):
        results = super().generate_results(conversations, image_list, video_list, audio_list, system_prompt)
        for conversation, result in zip(conversations, results):
            if result.error is not None:
                continue
            text = str(conversation[0].get("value", conversation[0].get("content", "")))
            digits = "".join(ch for ch in text if ch.isdigit())
            result.text = "I cannot tell." if "Question:" in text else site_article(int(digits or 0))
        return results


def site_article(n: int) -> str:
    site, year, times = n % 4, 1800 + n % 4, n % 3 + 1
    body = (f"Site {site} is a stone landmark on the river bank, built in {year} by the guild of masons. "
            f"It was restored {times} times after floods and fires, and it now houses a museum of local trade, "
            "a library of old charts and a small garden that is open to visitors every day of the week in summer "
            "and on weekends in the colder months of the year.")
    return f"{body}\n\nQuestion: In which year was it built?\nAnswer: {year}\n" \
           f"Question: How many times was it restored?\nAnswer: {times}"


class QualityPipeline(PipelineABC):
    """The filtered pipeline's seven steps on a fast serving: image checks, generation, parsing, filters."""

    def __init__(self, data, cache, log=None):
        super().__init__()
        self.storage = FileStorage(first_entry_file_name=str(data), cache_path=str(cache),
                                   file_name_prefix="q", cache_type="json")
        self.serving = ArticleServing(log_path=log)
        self.image_filter = ImageQualityFilter()
        self.image_dedup = ImageDeduplicator()
        self.generator = PromptedVQAGenerator(self.serving, show_progress=False)
        self.refiner = WikiQARefiner()
        self.filter = ContextVQAFilter()
        self.vision = VisionDependencyFilter(self.serving, show_progress=False)
        self.qa_dedup = QADeduplicator()

    def forward(self):
        self.image_filter.run(storage=self.storage.step(), input_image_key="image", output_key="image_quality")
        self.image_dedup.run(storage=self.storage.step(), input_image_key="image", output_key="image_dedup")
        self.generator.run(storage=self.storage.step(), input_conversation_key="conversation", input_image_key="image",
                           output_answer_key="vqa")
        self.refiner.run(storage=self.storage.step(), input_key="vqa", output_key="context_vqa")
        self.filter.run(storage=self.storage.step(), input_key="context_vqa", output_key="context_vqa_filtered")
        self.vision.run(storage=self.storage.step(), input_key="context_vqa_filtered", output_key="context_vqa_vision")
        self.qa_dedup.run(storage=self.storage.step(), input_key="context_vqa_vision", output_key="context_vqa_final")
