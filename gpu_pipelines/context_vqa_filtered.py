"""ContextVQA with a quality stage: drop bad and repeated images, generate, parse, then filter,
check and de-duplicate.

    python gpu_pipelines/context_vqa_filtered.py

Before the model (no GPU time is spent on what they remove):

1. ImageQualityFilter: unreadable, tiny, banner-shaped, blank or huge images;
2. ImageDeduplicator: the same picture again (identical, or resized and re-encoded).

Then the seed's two steps (see context_vqa.py, left as upstream's guide has it), generate (3) and
parse (4), and after them:

5. ContextVQAFilter: SK-VQA's rules and more (short articles, articles that point at the image,
   answers not in the article, long answers, questions containing their answer, repeated questions);
6. VisionDependencyFilter: the model answers each question from the article alone; QAs it still
   answers are flagged (drop=True removes them);
7. QADeduplicator: QAs repeated across rows are removed, near-duplicate articles flagged (MinHash).

Each filter writes its kept rows to the next step file and its rejected rows, with reasons, beside
it (cache_local/context_vqa_filtered_step5.rejected.json, ...); the run ends with one summary line.
Needs the vllm extra: pip install 'open-dataflow-mm[vllm]'.
"""

from dataflow.utils.storage import FileStorage
from dataflow.core import LLMServingABC
from dataflow.pipeline import PipelineABC
from dataflow.serving.local_model_vlm_serving import LocalModelVLMServing_vllm
from dataflow.operators.core_vision import (
    ContextVQAFilter,
    ImageDeduplicator,
    ImageQualityFilter,
    PromptedVQAGenerator,
    QADeduplicator,
    VisionDependencyFilter,
    WikiQARefiner,
)
from dataflow.operators.core_vision.filter import quality_summary


class ContextVQAFilteredPipeline(PipelineABC):
    """ContextVQA data for a folder of images, filtered, with a reason for every row or QA removed."""

    def __init__(self, llm_serving: LLMServingABC = None):
        super().__init__()
        # ---------- 1. Storage ----------
        self.storage = FileStorage(
            first_entry_file_name="./example_data/image_contextvqa/sample_data.json",
            cache_path="./cache_local",
            file_name_prefix="context_vqa_filtered",
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
            vllm_max_tokens=1024,
        )

        # ---------- 3. Operators ----------
        self.image_filter = ImageQualityFilter(min_side=112, max_aspect_ratio=3.0)
        self.image_deduplicator = ImageDeduplicator(max_distance=4)
        self.vqa_generator = PromptedVQAGenerator(
            serving=self.vlm_serving,
            system_prompt="You are a helpful assistant.",
        )
        self.refiner = WikiQARefiner()
        self.filter = ContextVQAFilter(min_context_words=50, image_reference="phrase", answer_in_context="qa")
        self.vision_check = VisionDependencyFilter(serving=self.vlm_serving, drop=False)
        self.deduplicator = QADeduplicator(article_threshold=0.8)

    # ------------------------------------------------------------------ #
    def forward(self):
        self.image_filter.run(storage=self.storage.step(), input_image_key="image", output_key="image_quality")
        self.image_deduplicator.run(storage=self.storage.step(), input_image_key="image", output_key="image_dedup")
        self.vqa_generator.run(
            storage=self.storage.step(),
            input_conversation_key="conversation",
            input_image_key="image",
            output_answer_key="vqa",
        )
        self.refiner.run(storage=self.storage.step(), input_key="vqa", output_key="context_vqa")
        self.filter.run(storage=self.storage.step(), input_key="context_vqa", output_key="context_vqa_filtered")
        self.vision_check.run(
            storage=self.storage.step(), input_key="context_vqa_filtered", output_key="context_vqa_vision"
        )
        self.deduplicator.run(storage=self.storage.step(), input_key="context_vqa_vision", output_key="context_vqa_final")


# ---------------------------- CLI Entry ------------------------------- #
if __name__ == "__main__":
    pipe = ContextVQAFilteredPipeline()
    pipe.compile()  # checks keys, model and images in seconds, before any model loads
    pipe.forward()
    quality_summary(pipe.storage)  # rows in, rows kept, QAs per kept row, counts per reason
