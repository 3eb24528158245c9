"""Every family in the matrix generates through the public API on both local servings (vLLM's CPU
engine and transformers), from tiny random checkpoints of the real architectures: one-image and
two-image rows, a guided-JSON run, and the rows that must fail alone with a reason."""

import json

import jsonschema
import pytest

from dataflow.operators.core_vision import PromptedVQAGenerator
from dataflow.storage import FileStorage
from dataflow.testing import TINY_VLM_FAMILIES
from dataflow.testing.tiny_vlm import image_placeholder
from tests.conftest import require_vllm

pytestmark = pytest.mark.slow
MIN_TOKENS, MAX_TOKENS = 6, 400  # room for the guided answers to close their JSON
SCHEMA = {
    "type": "object",
    "properties": {"title": {"type": "string", "minLength": 1, "maxLength": 12},
                   "qas": {"type": "array", "minItems": 1, "maxItems": 2,
                           "items": {"type": "object", "properties": {"q": {"type": "string", "maxLength": 12}},
                                     "required": ["q"], "additionalProperties": False}}},
    "required": ["title", "qas"],
    "additionalProperties": False,
}


def make_serving(kind, path):
    if kind == "vllm":
        require_vllm()
        from dataflow.serving.local_model_vlm_serving import LocalModelVLMServing_vllm

        # Two images per prompt at most: the three-image row must fail alone, saying so.
        return LocalModelVLMServing_vllm(path, vllm_max_tokens=MAX_TOKENS, vllm_min_tokens=MIN_TOKENS,
                                         vllm_limit_mm_per_prompt={"image": 2}, show_progress=False)
    from dataflow.serving.transformers_vlm_serving import LocalModelVLMServing_transformers

    return LocalModelVLMServing_transformers(path, max_tokens=MAX_TOKENS, min_tokens=MIN_TOKENS, batch_size=4,
                                             show_progress=False)


def row(text, images):
    return {"conversation": [{"from": "human", "value": text}], "image": images}


@pytest.mark.parametrize("kind", ["vllm", "transformers"])
@pytest.mark.parametrize("family", TINY_VLM_FAMILIES)
def test_family_generates_from_image_rows(family, kind, family_checkpoint, example_images, tmp_path):
    cat, coffee, rocket = (example_images[n] for n in ("cat.jpg", "coffee.jpg", "rocket.jpg"))
    rows = [
        row("Write an article about this picture.", [cat]),
        row("Compare <image> with <image>.", [cat, coffee]),
        row("Describe.", [coffee]),
        row("Describe.", [str(tmp_path / "missing.jpg")]),
        row("<image><image><image>", [cat, coffee, rocket]),
        row("Describe the cat again.", [cat]),
    ]
    source = tmp_path / "rows.json"
    source.write_text(json.dumps(rows))
    storage = FileStorage(str(source), cache_path=str(tmp_path / "cache"), file_name_prefix="f", cache_type="json")
    serving = make_serving(kind, family_checkpoint(family))
    try:
        # The prompts the serving renders: the family's placeholder once per image, in the marked places.
        prepared = serving.prepare([r["conversation"] for r in rows], [r["image"] for r in rows])
        placeholder = image_placeholder(family)
        assert [p.payload.count(placeholder) for p in prepared if p.error is None] == [1, 2, 1, 3, 1]
        assert prepared[0].images[0] is prepared[5].images[0]  # a file several rows share is decoded once
        if kind == "vllm":  # and vLLM gets a stable id for it, so its cache need not hash the pixels
            ids = serving._request(prepared[0]).get("multi_modal_uuids")
            assert ids and ids == serving._request(prepared[5])["multi_modal_uuids"]

        PromptedVQAGenerator(serving, show_progress=False).run(
            storage.step(), input_conversation_key="conversation", input_image_key="image", output_answer_key="vqa")
        out = json.loads((tmp_path / "cache" / "f_step1.json").read_text())
        errors = [r["vqa_error"] for r in out]
        for i in (0, 1, 2, 5):
            assert errors[i] is None and out[i]["vqa"], (family, kind, i, errors[i])
        assert "image file not found" in errors[3]
        if kind == "vllm":
            assert "row has 3 images but the engine takes at most 2 per prompt" in errors[4]
        else:
            assert errors[4] is None  # transformers has no per-prompt image limit

        PromptedVQAGenerator(serving, json_schema=SCHEMA, show_progress=False).run(
            storage.step(), input_conversation_key="conversation", input_image_key="image", output_answer_key="guided")
        out = json.loads((tmp_path / "cache" / "f_step2.json").read_text())
        for i in (0, 1):
            assert out[i]["guided_error"] is None, (family, kind, out[i]["guided_error"])
            jsonschema.validate(json.loads(out[i]["guided"]), SCHEMA)
    finally:
        serving.cleanup()
