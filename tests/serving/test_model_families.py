"""Every family in the matrix, without an engine: the checkpoint's own template writes the family's
image placeholder once per image, its processor turns each into image tokens, images are bounded
from the checkpoint's processor settings, and ``dataflow env --model`` says all of it."""

import json
import shutil
from pathlib import Path

import pytest
from PIL import Image

from dataflow.io.adapters import adapter_for
from dataflow.io.messages import build_messages
from dataflow.io.model_check import check_model, image_placeholder_of
from dataflow.testing import TINY_VLM_FAMILIES
from dataflow.testing.tiny_vlm import image_placeholder

REQUIRED = {"qwen2_vl", "qwen2_5_vl", "qwen3_vl", "gemma3", "idefics3", "llava_onevision", "internvl"}
QWEN = {"qwen2_vl", "qwen2_5_vl", "qwen3_vl"}


def test_the_matrix_has_every_required_family():
    assert REQUIRED <= set(TINY_VLM_FAMILIES)


def test_an_unknown_family_is_a_clear_error(tmp_path):
    from dataflow.testing import build_tiny_vlm

    with pytest.raises(ValueError, match="no tiny checkpoint for family 'mllama'.*qwen2_5_vl"):
        build_tiny_vlm("mllama", tmp_path)


@pytest.fixture(params=TINY_VLM_FAMILIES)
def family(request):
    return request.param


def conversation(text_with_markers):
    return [{"from": "human", "value": text_with_markers}]


@pytest.mark.parametrize("n", [0, 1, 2, 3])
@pytest.mark.parametrize("markers", [False, True])
def test_prompt_has_the_placeholder_once_per_image(family, family_checkpoint, n, markers):
    path = family_checkpoint(family)
    assert json.loads((Path(path) / "config.json").read_text())["model_type"] == family
    adapter = adapter_for(path)
    placeholder = image_placeholder_of(adapter.processor)
    assert placeholder == image_placeholder(family)  # the processor's own name for it, not ours
    text = " and ".join(["<image>"] * n) + " Describe." if markers else "Describe."
    prompt = adapter.render(build_messages(conversation(text), n_images=n, system_prompt="Be brief."))
    assert prompt.count(placeholder) == n
    assert "Describe." in prompt and "Be brief." in prompt


@pytest.mark.parametrize("n", [1, 2])
def test_the_processor_turns_each_placeholder_into_image_tokens(family, family_checkpoint, n):
    path = family_checkpoint(family)
    adapter = adapter_for(path)
    config = json.loads((Path(path) / "config.json").read_text())
    image_id = config.get("image_token_id", config.get("image_token_index"))
    prompt = adapter.render(build_messages(conversation("Describe."), n_images=n))
    images = [adapter.prepare_image(Image.new("RGB", (320 + 40 * i, 200), (30 * i, 60, 90))) for i in range(n)]
    ids = adapter.processor(text=[prompt], images=[images], return_tensors="pt")["input_ids"][0].tolist()
    # At least one token per image (how many is the family's: LLaVA-OneVision tiles one image, not two).
    assert ids.count(image_id) >= n
    text_only = adapter.processor(text=[prompt.replace(image_placeholder(family), "")], return_tensors="pt")
    assert image_id not in text_only["input_ids"][0].tolist()


EXPECTED_BOUNDS = {  # (factor, max_pixels) the tiny checkpoints' processors imply
    "qwen2_vl": (28, 448 * 448),
    "qwen2_5_vl": (28, 448 * 448),
    "qwen3_vl": (32, 512 * 512),  # 16-pixel patches, merged 2x2
    "gemma3": (1, 4 * 224 * 224),  # squashed to 224x224: 4x the area keeps sides up to 4:1
    "idefics3": (1, 112 * 112),  # longest side 112
    "llava_onevision": (1, 112 * 112),  # the largest anyres grid
    "internvl": (1, 4 * 56 * 56),  # four 56-pixel tiles
}


def test_image_bounds_come_from_the_checkpoints_processor(family, family_checkpoint):
    adapter = adapter_for(family_checkpoint(family))
    assert (adapter.factor, adapter.max_pixels) == EXPECTED_BOUNDS[family]
    assert adapter.tokens_scale_with_pixels == (family in QWEN)
    image = adapter.prepare_image(Image.new("RGB", (3000, 1000), (10, 20, 30)))
    assert image.width * image.height <= adapter.max_pixels
    assert image.width % adapter.factor == 0 and image.height % adapter.factor == 0
    assert 2.5 < image.width / image.height < 3.5  # shape kept


@pytest.mark.parametrize("family, key, value, expected", [
    ("qwen3_vl", "patch_size", 14, (28, None)),  # patch and merge sizes are read, not assumed
    ("internvl", "max_patches", 2, (1, 2 * 56 * 56)),
    ("llava_onevision", "image_grid_pinpoints", [[56, 56], [56, 168]], (1, 56 * 168)),
    ("gemma3", "size", {"height": 112, "width": 112}, (1, 4 * 112 * 112)),
    ("idefics3", "size", {"longest_edge": 168}, (1, 168 * 168)),
])
def test_bounds_follow_a_changed_processor_config(family_checkpoint, tmp_path, family, key, value, expected):
    copy = tmp_path / "ckpt"
    shutil.copytree(family_checkpoint(family), copy)
    for name in ("preprocessor_config.json", "processor_config.json"):
        path = copy / name
        if path.exists():
            data = json.loads(path.read_text())
            (data.get("image_processor", data))[key] = value
            path.write_text(json.dumps(data))
    adapter = adapter_for(copy)
    assert adapter.factor == expected[0]
    if expected[1] is not None:
        assert adapter.max_pixels == expected[1]


def test_only_token_per_pixel_families_shrink_many_image_rows(family, family_checkpoint):
    from dataflow.serving.local_model_vlm_serving import LocalModelVLMServing_vllm

    serving = LocalModelVLMServing_vllm(family_checkpoint(family), vllm_max_model_len=4096, vllm_max_tokens=1024)
    adapter = serving._resolve()
    one, many = serving._image_pixel_budget(1), serving._image_pixel_budget(32)
    if family in QWEN:
        assert many < one == adapter.max_pixels and many // adapter.factor ** 2 * 32 <= 4096 - 1024
    else:  # tiles or a fixed square: a smaller image would cost the same tokens and lose detail
        assert one == many == adapter.max_pixels


def test_env_model_says_family_servings_bounds_and_checks_the_prompt(family, family_checkpoint, capsys):
    from dataflow.cli import main

    assert main(["env", "--model", family_checkpoint(family)]) == 0
    out = capsys.readouterr().out
    assert f"model_type {family};" in out
    assert "LocalModelVLMServing_vllm, LocalModelVLMServing_transformers" in out
    assert f"{EXPECTED_BOUNDS[family][1]} pixels" in out
    placeholder = image_placeholder(family)
    assert f"2 image(s): 2 {placeholder} in the rendered prompt: ok" in out and "PROBLEM" not in out


def test_env_model_flags_a_template_that_drops_images(family_checkpoint, tmp_path, capsys):
    from dataflow.cli import main

    copy = tmp_path / "ckpt"
    shutil.copytree(family_checkpoint("qwen2_vl"), copy)
    text_only = ("{% for m in messages %}<|im_start|>{{ m['role'] }}\n{% for c in m['content'] %}"
                 "{% if c['type'] == 'text' %}{{ c['text'] }}{% endif %}{% endfor %}<|im_end|>\n{% endfor %}")
    (copy / "chat_template.json").write_text(json.dumps({"chat_template": text_only}))
    for name in ("tokenizer_config.json", "processor_config.json"):
        path = copy / name
        if path.exists():
            data = json.loads(path.read_text())
            if "chat_template" in data:
                data["chat_template"] = text_only
                path.write_text(json.dumps(data))
    for jinja in copy.glob("*.jinja"):
        jinja.write_text(text_only)
    assert main(["env", "--model", str(copy)]) == 1
    out = capsys.readouterr().out
    assert "1 image(s): 0 <|image_pad|> in the rendered prompt: WRONG" in out
    assert "PROBLEM:" in out and "writes 0 image placeholder(s) for 1 image(s)" in out


def test_env_model_on_an_unknown_family_says_generic_path(tmp_path, capsys):
    from dataflow.cli import main

    (tmp_path / "config.json").write_text(json.dumps({"model_type": "paligemma", "architectures": ["X"]}))
    status = main(["env", "--model", str(tmp_path)])
    out = capsys.readouterr().out
    assert "not in the tested matrix (model_type paligemma; X): generic chat-template path" in out
    assert "none (not in the test matrix)" in out
    assert status == 1 and "the processor does not load" in out


def test_env_model_on_a_missing_folder_is_a_clear_error(tmp_path):
    from dataflow.errors import ServingError

    with pytest.raises(ServingError, match="model folder not found"):
        check_model(str(tmp_path / "nowhere"))


def test_readme_matrix_lists_every_tested_family(repo_root):
    from dataflow.io.families import FAMILIES

    readme = (repo_root / "README.md").read_text()
    section = readme.split("### Model families", 1)[1].split("\n### ", 1)[0]
    rows = {line.split("|")[1].strip().strip("`"): line for line in section.splitlines()
            if line.startswith("| `") and "model_type" not in line}
    tested = {name for name, family in FAMILIES.items() if family.tested}
    assert set(rows) == tested == set(TINY_VLM_FAMILIES)
    for name, line in rows.items():  # each row names its family's first model id in full
        assert f"`{FAMILIES[name].model_ids[0]}`" in line
