"""ContextVQA in structured mode: the model writes JSON that a schema constrains, so every finished
row parses.

    python gpu_pipelines/context_vqa_structured.py

The generator asks for {"title", "article", "qas": [{"question", "answer"}, ...]} (3 to 10 pairs,
an article of at least 200 characters) with SK-VQA's eight criteria, and the serving decodes under
that JSON Schema (vLLM guided decoding). A row cut off by the token limit fails with the reason
"truncated at max_tokens"; raise vllm_max_tokens if that happens often. The refiner turns the JSON
into the usual {context, qas} records.
"""

from dataflow.utils.storage import FileStorage
from dataflow.core import LLMServingABC
from dataflow.pipeline import PipelineABC
from dataflow.serving.local_model_vlm_serving import LocalModelVLMServing_vllm
from dataflow.operators.core_vision import PromptedVQAGenerator, WikiQARefiner
from dataflow.prompts.context_vqa import CONTEXTVQA_SCHEMA, STRUCTURED_SKVQA_PROMPT


class ContextVQAStructuredPipeline(PipelineABC):
    """ContextVQA data for a folder of images, decoded as schema-valid JSON."""

    def __init__(self, llm_serving: LLMServingABC = None):
        super().__init__()
        # ---------- 1. Storage ----------
        self.storage = FileStorage(
            first_entry_file_name="./example_data/image_contextvqa/sample_data.json",
            cache_path="./cache_local",
            file_name_prefix="context_vqa_structured",
            cache_type="json",
        )

        # ---------- 2. Serving ----------
        self.vlm_serving = llm_serving or LocalModelVLMServing_vllm(
            hf_model_name_or_path="Qwen/Qwen2.5-VL-3B-Instruct",
            hf_cache_dir="~/.cache/huggingface",
            hf_local_dir="./ckpt",
            vllm_tensor_parallel_size=1,
            vllm_temperature=0.7,
            vllm_top_p=0.9,
            vllm_max_tokens=2048,
        )

        # ---------- 3. Operators ----------
        self.vqa_generator = PromptedVQAGenerator(
            serving=self.vlm_serving,
            system_prompt="You are a helpful assistant.",
            prompt_template=STRUCTURED_SKVQA_PROMPT,
            json_schema=CONTEXTVQA_SCHEMA,
        )
        self.refiner = WikiQARefiner()

    # ------------------------------------------------------------------ #
    def forward(self):
        self.vqa_generator.run(
            storage=self.storage.step(),
            input_conversation_key="conversation",
            input_image_key="image",
            output_answer_key="vqa",
        )
        self.refiner.run(storage=self.storage.step(), input_key="vqa", output_key="context_vqa")


# ---------------------------- CLI Entry ------------------------------- #
if __name__ == "__main__":
    pipe = ContextVQAStructuredPipeline()
    pipe.compile()  # checks keys, model and images in seconds, before any model loads
    pipe.forward()
