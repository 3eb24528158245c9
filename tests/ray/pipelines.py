"""Pipelines for the Ray tests: ContextVQAPipeline's shape on the tiny checkpoint (transformers backend).

Greedy decoding of one row at a time makes every row's answer independent of how rows are split
between actors, so a Ray run can be compared with a single-machine run exactly.
"""

import os
import time

from dataflow.operators.core_vision import PromptedVQAGenerator, WikiQARefiner
from dataflow.serving.transformers_vlm_serving import LocalModelVLMServing_transformers
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
