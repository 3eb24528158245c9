import json
import shutil

import pytest

from dataflow.errors import ServingError
from dataflow.io.adapters import adapter_for


def test_adapter_comes_from_config_not_folder_name(tiny_model, tmp_path):
    ckpt = tmp_path / "ckpt"  # upstream picks the adapter from this name and fails
    shutil.copytree(tiny_model, ckpt)
    adapter = adapter_for(ckpt)
    assert adapter.model_type == "qwen2_5_vl" and adapter.factor == 28
    assert adapter.max_pixels == 448 * 448  # capped by the checkpoint's own processor


def test_prompt_rendered_with_checkpoint_template(tiny_model):
    adapter = adapter_for(tiny_model)
    prompt = adapter.render([
        {"role": "system", "content": [{"type": "text", "text": "S"}]},
        {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "Hi"}]},
    ])
    assert prompt == "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\n<|vision_start|><|image_pad|><|vision_end|>Hi<|im_end|>\n<|im_start|>assistant\n"


def test_unknown_model_type_uses_generic_path(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "llava"}))
    adapter = adapter_for(tmp_path)
    assert adapter.model_type == "llava" and adapter.factor == 1 and not adapter.mm_processor_kwargs()


def test_qwen_processor_gets_the_same_bounds(tiny_model):
    kwargs = adapter_for(tiny_model, min_pixels=3136, max_pixels=50176).mm_processor_kwargs()
    assert kwargs == {"size": {"shortest_edge": 3136, "longest_edge": 50176}}


def test_folder_without_config_is_a_clear_error(tmp_path):
    with pytest.raises(ServingError, match="no config.json"):
        adapter_for(tmp_path)
