"""Every import path SPEC.md promises (upstream's and ours), whatever the internal layout."""

import importlib
import inspect

import pytest

PATHS = {
    "dataflow": ["get_logger", "DataFlowError", "__version__"],
    "dataflow.utils.storage": ["DataFlowStorage", "FileStorage"],
    "dataflow.core": ["OperatorABC", "LLMServingABC", "VLMServingABC", "OPERATOR_REGISTRY", "get_operator"],
    "dataflow.serving.local_model_vlm_serving": ["LocalModelVLMServing_vllm", "LocalModelVLMServing_transformers"],
    "dataflow.serving.transformers_vlm_serving": ["LocalModelVLMServing_transformers"],
    "dataflow.serving.api_vlm_serving_openai": ["APIVLMServing_openai"],
    "dataflow.operators.core_vision": [
        "PromptedVQAGenerator", "WikiQARefiner", "ContextVQAFilter", "VisionDependencyFilter", "QADeduplicator",
        "ImageQualityFilter", "ImageDeduplicator",
    ],
    "dataflow.operators.core_vision.refine": ["parse_wiki_qa", "WikiQARefiner"],
    "dataflow.operators.core_vision.filter": ["quality_summary"],
    "dataflow.pipeline": ["PipelineABC"],
    "dataflow.step": ["DurableStep", "StepOperator", "ModelOperator", "StepLock"],
    "dataflow.storage": ["FileStorage", "read_records", "write_records"],
    "dataflow.testing": ["build_tiny_qwen2_5_vl", "build_tiny_vlm", "TINY_VLM_FAMILIES", "EchoServing"],
    "dataflow.ray": ["RayPipelineRunner"],
}


@pytest.mark.parametrize("module", sorted(PATHS))
def test_the_import_path_works(module):
    imported = importlib.import_module(module)
    missing = [name for name in PATHS[module] if not hasattr(imported, name)]
    assert not missing, f"{module} lacks {missing}"


def test_upstream_path_and_new_home_are_the_same_class():
    from dataflow.storage import FileStorage
    from dataflow.utils.storage import FileStorage as Upstream

    assert Upstream is FileStorage


def test_upstream_signatures_and_defaults():
    from dataflow.operators.core_vision import PromptedVQAGenerator, WikiQARefiner
    from dataflow.serving.local_model_vlm_serving import LocalModelVLMServing_vllm
    from dataflow.utils.storage import FileStorage

    def defaults(fn):
        return {n: p.default for n, p in inspect.signature(fn).parameters.items() if p.default is not p.empty}

    assert defaults(FileStorage) == {"cache_path": "./cache", "file_name_prefix": "dataflow_cache", "cache_type": "jsonl"}
    assert defaults(WikiQARefiner.run) == {"input_key": "text", "output_key": "parsed"}
    run = defaults(PromptedVQAGenerator.run)
    assert run["input_conversation_key"] == "conversation" and run["output_answer_key"] == "answer"
    vllm = defaults(LocalModelVLMServing_vllm)
    assert {k: vllm[k] for k in ("vllm_max_tokens", "vllm_top_k", "vllm_max_model_len", "vllm_seed")} == {
        "vllm_max_tokens": 1024, "vllm_top_k": 40, "vllm_max_model_len": 4096, "vllm_seed": 42,
    }
