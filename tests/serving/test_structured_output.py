"""Guided decoding on the real engines with the tiny random checkpoint: random weights and a working
grammar give schema-valid JSON every time, string length bounds included (a strong test)."""

import json

import jsonschema
import pytest

from tests.conftest import require_vllm

pytestmark = pytest.mark.slow

# The ContextVQA schema's shape with bounds a random model finishes within its token budget.
BOUNDED_SCHEMA = {
    "type": "object",
    "properties": {
        "title": {"type": "string", "minLength": 1, "maxLength": 40},
        "article": {"type": "string", "minLength": 40, "maxLength": 300},
        "qas": {
            "type": "array", "minItems": 3, "maxItems": 4,
            "items": {"type": "object", "properties": {
                "question": {"type": "string", "minLength": 5, "maxLength": 60},
                "answer": {"type": "string", "minLength": 1, "maxLength": 30}},
                "required": ["question", "answer"], "additionalProperties": False},
        },
    },
    "required": ["title", "article", "qas"],
    "additionalProperties": False,
}


def conversations(n):
    return [[{"from": "human", "value": f"<image>Write the article and pairs as JSON, {i}."}] for i in range(n)]


def check(results):
    assert all(r.ok for r in results), [r.error for r in results]
    for r in results:
        jsonschema.validate(json.loads(r.text), BOUNDED_SCHEMA)


def test_vllm_offline_engine_gives_schema_valid_json(tiny_model, example_images):
    require_vllm()
    from dataflow.serving.local_model_vlm_serving import LocalModelVLMServing_vllm

    serving = LocalModelVLMServing_vllm(tiny_model, vllm_max_tokens=1500, vllm_temperature=0.7, show_progress=False)
    try:
        images = [[example_images["cat.jpg"]]] * 8
        check(serving.generate_results(conversations(8), images, json_schema=BOUNDED_SCHEMA))
        # the same serving without a schema is unconstrained again
        free = serving.generate_results(conversations(2), images[:2])
        assert all(r.ok for r in free)
    finally:
        serving.cleanup()


def test_transformers_backend_gives_schema_valid_json(tiny_model, example_images):
    from dataflow.serving.transformers_vlm_serving import LocalModelVLMServing_transformers

    serving = LocalModelVLMServing_transformers(tiny_model, max_tokens=1500, temperature=0.7, batch_size=4,
                                                show_progress=False)
    check(serving.generate_results(conversations(4), [[example_images["cat.jpg"]]] * 4, json_schema=BOUNDED_SCHEMA))
