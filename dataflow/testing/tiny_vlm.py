"""Tiny, randomly initialised checkpoints of real VLM families, built offline in seconds.

Each checkpoint has the family's real architecture (so vLLM and transformers load and run it), a
tokenizer trained in-process that carries the family's real special tokens, the family's chat
format, and the family's own processor classes, configured small. Weights are random: the text is
gibberish, but prompts, image placeholders, image processing and guided decoding are the real ones::

    from dataflow.testing import build_tiny_vlm, TINY_VLM_FAMILIES
    for family in TINY_VLM_FAMILIES:
        build_tiny_vlm(family, f"/tmp/tiny-{family}")

Shared choices, for vLLM's CPU engine: text attention heads of 64 dimensions (its CPU attention
takes 32/64/80/96/112/128), two layers per tower, bfloat16 weights, and image processors bounded
small (vLLM profiles memory with the largest image a processor can produce).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from dataflow.testing import tiny_qwen2_5_vl as _qwen

HEAD_DIM = 64
_TEXT = {
    "hidden_size": 2 * HEAD_DIM,
    "intermediate_size": 256,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "num_key_value_heads": 1,
    "head_dim": HEAD_DIM,
    "tie_word_embeddings": False,
}


@dataclass(frozen=True)
class _Family:
    """What one family's tiny checkpoint is made of."""

    special_tokens: list[str]  # added to the trained vocabulary, in this order
    named_tokens: dict[str, str]  # tokenizer attributes the processor reads (image_token, boi_token, ...)
    bos: str | None
    eos: str
    pad: str
    stop: list[str]  # the generation config's stop tokens
    chat_template: str
    model_class: str
    config: Callable[[dict, int], Any]  # (special ids, vocab size) -> model config
    processor: Callable[[Any, str], Any]  # (tokenizer, chat template) -> processor
    placeholder: str  # what the chat template writes once per image (before the processor expands it)
    plain_tokens: tuple[str, ...] = ()  # whole-vocabulary entries the family's engines look up (Gemma's "\n\n")
    # Saved weight-name prefixes renamed to the layout published checkpoints have (and engines expect).
    renames: tuple[tuple[str, str], ...] = ()


# -- chat templates: each family's format, image placeholder where the real template puts it --

_QWEN2_TEMPLATE = _qwen.CHAT_TEMPLATE

# Qwen3-VL: no default system turn; a system turn's content may be parts.
_QWEN3_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for content in message['content'] %}"
    "{% if content['type'] == 'image' or 'image' in content or 'image_url' in content %}"
    "<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif content['type'] == 'video' or 'video' in content %}<|vision_start|><|video_pad|><|vision_end|>"
    "{% elif 'text' in content %}{{ content['text'] }}{% endif %}{% endfor %}{% endif %}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

# Gemma 3: the system turn is folded into the first user turn; roles user/model.
_GEMMA3_TEMPLATE = (
    "{{ bos_token }}{% set first_user_prefix = '' %}{% set loop_messages = messages %}"
    "{% if messages[0]['role'] == 'system' %}"
    "{% if messages[0]['content'] is string %}{% set first_user_prefix = messages[0]['content'] + '\n\n' %}"
    "{% else %}{% set first_user_prefix = messages[0]['content'][0]['text'] + '\n\n' %}{% endif %}"
    "{% set loop_messages = messages[1:] %}{% endif %}"
    "{% for message in loop_messages %}"
    "{% set role = 'model' if message['role'] == 'assistant' else message['role'] %}"
    "<start_of_turn>{{ role }}\n{{ first_user_prefix if loop.first else '' }}"
    "{% if message['content'] is string %}{{ message['content'] | trim }}"
    "{% else %}{% for item in message['content'] %}"
    "{% if item['type'] == 'image' %}<start_of_image>{% elif item['type'] == 'text' %}{{ item['text'] | trim }}{% endif %}"
    "{% endfor %}{% endif %}<end_of_turn>\n{% endfor %}"
    "{% if add_generation_prompt %}<start_of_turn>model\n{% endif %}"
)

# SmolVLM (Idefics3): "User:<image>text<end_of_utterance>" after one leading <|im_start|>.
_IDEFICS3_TEMPLATE = (
    "<|im_start|>{% for message in messages %}{{ message['role'] | capitalize }}"
    "{% if message['content'] is string %}: {{ message['content'] }}"
    "{% else %}{% if message['content'][0]['type'] == 'image' %}:{% else %}: {% endif %}"
    "{% for line in message['content'] %}{% if line['type'] == 'text' %}{{ line['text'] }}"
    "{% elif line['type'] == 'image' %}<image>{% endif %}{% endfor %}{% endif %}<end_of_utterance>\n"
    "{% endfor %}{% if add_generation_prompt %}Assistant:{% endif %}"
)

# LLaVA-OneVision (Qwen2 language model): the turn's images first, then its text.
_LLAVA_ONEVISION_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }} "
    "{% if message['content'] is string %}\n{{ message['content'] }}"
    "{% else %}{% for content in message['content'] %}{% if content['type'] == 'image' %}<image>{% endif %}{% endfor %}"
    "{% for content in message['content'] %}{% if content['type'] == 'text' %}\n{{ content['text'] }}{% endif %}"
    "{% endfor %}{% endif %}<|im_end|>{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

# InternVL3 (Hugging Face format, Qwen2 language model): <IMG_CONTEXT> per image, which the
# processor expands to <img><IMG_CONTEXT>...</img>.
_INTERNVL_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for content in message['content'] %}{% if content['type'] == 'image' %}<IMG_CONTEXT>\n"
    "{% elif content['type'] == 'text' %}{{ content['text'] }}{% endif %}{% endfor %}{% endif %}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

_QWEN_TOKENS = list(_qwen.SPECIAL_TOKENS)
_CHATML = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]


# -- configurations ---------------------------------------------------------------------------

def _text(vocab: int, **overrides: Any) -> dict:
    return {"vocab_size": vocab, "max_position_embeddings": 8192, **_TEXT, **overrides}


def _qwen2_vl_config(ids: dict, vocab: int) -> Any:
    from transformers import Qwen2VLConfig

    mrope = {"rope_type": "default", "rope_theta": 1000000.0, "mrope_section": [8, 12, 12]}
    return Qwen2VLConfig(
        text_config=_text(vocab, rope_parameters=mrope, rope_scaling={"type": "mrope", "mrope_section": [8, 12, 12]},
                          bos_token_id=ids["<|endoftext|>"], eos_token_id=ids["<|im_end|>"]),
        vision_config={"depth": 2, "embed_dim": 64, "hidden_size": 2 * HEAD_DIM, "mlp_ratio": 2, "num_heads": 2,
                       "patch_size": 14, "spatial_merge_size": 2, "temporal_patch_size": 2},
        tie_word_embeddings=False, **_qwen.vision_token_ids(ids),
    )


def _qwen2_5_vl_config(ids: dict, vocab: int) -> Any:
    from transformers import Qwen2_5_VLConfig

    return _qwen._tiny_config(Qwen2_5_VLConfig, ids, vocab, 8192)


def _qwen3_vl_config(ids: dict, vocab: int) -> Any:
    from transformers import Qwen3VLConfig

    mrope = {"rope_type": "default", "rope_theta": 5000000.0, "mrope_section": [12, 10, 10], "mrope_interleaved": True}
    return Qwen3VLConfig(
        text_config=_text(vocab, rope_parameters=mrope,
                          bos_token_id=ids["<|endoftext|>"], eos_token_id=ids["<|im_end|>"]),
        vision_config={"depth": 2, "hidden_size": 64, "intermediate_size": 128, "num_heads": 2, "patch_size": 16,
                       "spatial_merge_size": 2, "temporal_patch_size": 2, "out_hidden_size": 2 * HEAD_DIM,
                       "num_position_embeddings": 144, "deepstack_visual_indexes": [0]},
        tie_word_embeddings=False, **_qwen.vision_token_ids(ids),
    )


_SIGLIP = {"vision_use_head": False, "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 2, "patch_size": 14}
_GEMMA3_IMAGE = 224  # 16x16 patches pooled to 4x4: 16 tokens per image
_GEMMA3_TOKENS_PER_IMAGE = 16


def _gemma3_config(ids: dict, vocab: int) -> Any:
    from transformers import Gemma3Config

    return Gemma3Config(
        text_config=_text(vocab, model_type="gemma3_text", sliding_window=128, query_pre_attn_scalar=HEAD_DIM,
                          bos_token_id=ids["<bos>"], eos_token_id=[ids["<eos>"], ids["<end_of_turn>"]],
                          pad_token_id=ids["<pad>"]),
        vision_config={**_SIGLIP, "model_type": "siglip_vision_model", "image_size": _GEMMA3_IMAGE},
        mm_tokens_per_image=_GEMMA3_TOKENS_PER_IMAGE,
        boi_token_index=ids["<start_of_image>"], eoi_token_index=ids["<end_of_image>"],
        image_token_index=ids["<image_soft_token>"], tie_word_embeddings=False,
    )


_IDEFICS3_TILE = 56  # 4x4 patches of 14, pixel-shuffled by 2: 4 tokens per tile


def _idefics3_config(ids: dict, vocab: int) -> Any:
    from transformers import Idefics3Config

    return Idefics3Config(
        text_config=_text(vocab, model_type="llama", bos_token_id=ids["<|im_start|>"],
                          eos_token_id=ids["<end_of_utterance>"], pad_token_id=ids["<|endoftext|>"]),
        vision_config={**_SIGLIP, "image_size": _IDEFICS3_TILE},
        scale_factor=2, image_token_id=ids["<image>"], pad_token_id=ids["<|endoftext|>"], tie_word_embeddings=False,
    )


_LLAVA_TILE = 56
_LLAVA_PINPOINTS = [[56, 56], [56, 112], [112, 56], [112, 112]]


def _llava_onevision_config(ids: dict, vocab: int) -> Any:
    from transformers import LlavaOnevisionConfig

    return LlavaOnevisionConfig(
        text_config=_text(vocab, model_type="qwen2", bos_token_id=ids["<|endoftext|>"],
                          eos_token_id=ids["<|im_end|>"], pad_token_id=ids["<|endoftext|>"]),
        vision_config={**_SIGLIP, "model_type": "siglip_vision_model", "image_size": _LLAVA_TILE},
        image_token_index=ids["<image>"], video_token_index=ids["<video>"],
        image_grid_pinpoints=_LLAVA_PINPOINTS, vision_feature_layer=-1,
        vision_feature_select_strategy="full", vision_aspect_ratio="anyres_max_9", tie_word_embeddings=False,
    )


_INTERNVL_TILE = 56  # 4x4 patches of 14, downsampled by 2: 4 tokens per tile
_INTERNVL_MAX_TILES = 4


def _internvl_config(ids: dict, vocab: int) -> Any:
    from transformers import InternVLConfig

    return InternVLConfig(
        text_config=_text(vocab, model_type="qwen2", bos_token_id=ids["<|endoftext|>"],
                          eos_token_id=ids["<|im_end|>"], pad_token_id=ids["<|endoftext|>"]),
        vision_config={"hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 2,
                       "image_size": [_INTERNVL_TILE, _INTERNVL_TILE], "patch_size": [14, 14]},
        image_token_id=ids["<IMG_CONTEXT>"], image_seq_length=4, downsample_ratio=0.5, tie_word_embeddings=False,
    )


# -- processors -------------------------------------------------------------------------------

def _qwen2_processor(processor_class: str) -> Callable[[Any, str], Any]:
    """Qwen2-VL's and Qwen2.5-VL's processor: 14-pixel patches merged 2x2, at most 448x448 pixels."""

    def build(tokenizer: Any, template: str) -> Any:
        import transformers
        from transformers import Qwen2VLImageProcessor
        from transformers.models.qwen2_vl.video_processing_qwen2_vl import Qwen2VLVideoProcessor

        size = {"shortest_edge": 28 * 28 * 4, "longest_edge": 448 * 448}
        return getattr(transformers, processor_class)(
            image_processor=Qwen2VLImageProcessor(size=size), video_processor=Qwen2VLVideoProcessor(size=size),
            tokenizer=tokenizer, chat_template=template,
        )

    return build


def _qwen3_vl_processor(tokenizer: Any, template: str) -> Any:
    from transformers import Qwen2VLImageProcessor, Qwen3VLProcessor
    from transformers.models.qwen3_vl.video_processing_qwen3_vl import Qwen3VLVideoProcessor

    low, high = 32 * 32 * 4, 512 * 512  # Qwen3-VL: 16-pixel patches, merged 2x2
    return Qwen3VLProcessor(
        image_processor=Qwen2VLImageProcessor(size={"shortest_edge": low, "longest_edge": high}, patch_size=16,
                                              merge_size=2, image_mean=[0.5] * 3, image_std=[0.5] * 3),
        video_processor=Qwen3VLVideoProcessor(size={"shortest_edge": low, "longest_edge": high}, patch_size=16),
        tokenizer=tokenizer, chat_template=template,
    )


def _gemma3_processor(tokenizer: Any, template: str) -> Any:
    from transformers import Gemma3ImageProcessor, Gemma3Processor

    image = Gemma3ImageProcessor(size={"height": _GEMMA3_IMAGE, "width": _GEMMA3_IMAGE},
                                 image_mean=[0.5] * 3, image_std=[0.5] * 3)
    return Gemma3Processor(image_processor=image, tokenizer=tokenizer, chat_template=template,
                           image_seq_length=_GEMMA3_TOKENS_PER_IMAGE)


def _idefics3_processor(tokenizer: Any, template: str) -> Any:
    from transformers import Idefics3ImageProcessor, Idefics3Processor

    image = Idefics3ImageProcessor(size={"longest_edge": 2 * _IDEFICS3_TILE},
                                   max_image_size={"longest_edge": _IDEFICS3_TILE})
    return Idefics3Processor(image_processor=image, tokenizer=tokenizer, chat_template=template, image_seq_len=4)


def _llava_onevision_processor(tokenizer: Any, template: str) -> Any:
    from transformers import LlavaOnevisionImageProcessor, LlavaOnevisionProcessor, LlavaOnevisionVideoProcessor

    image = LlavaOnevisionImageProcessor(size={"height": _LLAVA_TILE, "width": _LLAVA_TILE},
                                         image_grid_pinpoints=_LLAVA_PINPOINTS)
    video = LlavaOnevisionVideoProcessor(size={"height": _LLAVA_TILE, "width": _LLAVA_TILE})
    return LlavaOnevisionProcessor(
        image_processor=image, video_processor=video, tokenizer=tokenizer, chat_template=template,
        num_image_tokens=(_LLAVA_TILE // 14) ** 2, vision_feature_select_strategy="full",
    )


def _internvl_processor(tokenizer: Any, template: str) -> Any:
    from transformers import GotOcr2ImageProcessor, InternVLProcessor, InternVLVideoProcessor

    size = {"height": _INTERNVL_TILE, "width": _INTERNVL_TILE}
    image = GotOcr2ImageProcessor(size=size, crop_to_patches=True, min_patches=1, max_patches=_INTERNVL_MAX_TILES)
    return InternVLProcessor(image_processor=image, video_processor=InternVLVideoProcessor(size=size),
                             tokenizer=tokenizer, chat_template=template, image_seq_length=4)


_IDEFICS3_TOKENS = ["<|endoftext|>", "<|im_start|>", "<end_of_utterance>", "<fake_token_around_image>", "<image>",
                    "<global-img>"] + [f"<row_{r}_col_{c}>" for r in range(1, 7) for c in range(1, 7)]
_GEMMA3_TOKENS = ["<pad>", "<eos>", "<bos>", "<unk>", "<start_of_turn>", "<end_of_turn>", "<start_of_image>",
                  "<end_of_image>", "<image_soft_token>"]

# transformers 5 saves a SigLIP tower's weights without the "vision_model." level published checkpoints have.
_SIGLIP_TOWER = (("vision_tower.", "vision_tower.vision_model."),)

FAMILIES: dict[str, _Family] = {
    "qwen2_vl": _Family(
        _QWEN_TOKENS, {}, None, "<|im_end|>", "<|endoftext|>", ["<|im_end|>", "<|endoftext|>"], _QWEN2_TEMPLATE,
        "Qwen2VLForConditionalGeneration", _qwen2_vl_config, _qwen2_processor("Qwen2VLProcessor"), "<|image_pad|>"),
    "qwen2_5_vl": _Family(
        _QWEN_TOKENS, {}, None, "<|im_end|>", "<|endoftext|>", ["<|im_end|>", "<|endoftext|>"], _QWEN2_TEMPLATE,
        "Qwen2_5_VLForConditionalGeneration", _qwen2_5_vl_config, _qwen2_processor("Qwen2_5_VLProcessor"), "<|image_pad|>"),
    "qwen3_vl": _Family(
        _QWEN_TOKENS, {}, None, "<|im_end|>", "<|endoftext|>", ["<|im_end|>", "<|endoftext|>"], _QWEN3_TEMPLATE,
        "Qwen3VLForConditionalGeneration", _qwen3_vl_config, _qwen3_vl_processor, "<|image_pad|>"),
    "gemma3": _Family(
        _GEMMA3_TOKENS,
        {"boi_token": "<start_of_image>", "eoi_token": "<end_of_image>", "image_token": "<image_soft_token>"},
        "<bos>", "<eos>", "<pad>", ["<eos>", "<end_of_turn>"], _GEMMA3_TEMPLATE,
        "Gemma3ForConditionalGeneration", _gemma3_config, _gemma3_processor, "<start_of_image>",
        plain_tokens=("\n", "\n\n", "\n\n\n", "\n\n\n\n"), renames=_SIGLIP_TOWER),
    "idefics3": _Family(
        _IDEFICS3_TOKENS, {}, "<|im_start|>", "<end_of_utterance>", "<|endoftext|>", ["<end_of_utterance>"],
        _IDEFICS3_TEMPLATE, "Idefics3ForConditionalGeneration", _idefics3_config, _idefics3_processor, "<image>"),
    "llava_onevision": _Family(
        _CHATML + ["<image>", "<video>"], {"image_token": "<image>", "video_token": "<video>"}, None, "<|im_end|>",
        "<|endoftext|>", ["<|im_end|>"], _LLAVA_ONEVISION_TEMPLATE, "LlavaOnevisionForConditionalGeneration",
        _llava_onevision_config, _llava_onevision_processor, "<image>", renames=_SIGLIP_TOWER),
    "internvl": _Family(
        _CHATML + ["<img>", "</img>", "<IMG_CONTEXT>", "<video>"],
        {"start_image_token": "<img>", "end_image_token": "</img>", "context_image_token": "<IMG_CONTEXT>",
         "video_token": "<video>"},
        None, "<|im_end|>", "<|endoftext|>", ["<|im_end|>"], _INTERNVL_TEMPLATE,
        "InternVLForConditionalGeneration", _internvl_config, _internvl_processor, "<IMG_CONTEXT>"),
}

TINY_VLM_FAMILIES: tuple[str, ...] = tuple(FAMILIES)


def image_placeholder(family: str) -> str:
    """What ``family``'s chat template writes once per image (before the processor expands it)."""
    return _family(family).placeholder


def _family(family: str) -> _Family:
    try:
        return FAMILIES[family]
    except KeyError:
        raise ValueError(f"no tiny checkpoint for family {family!r}; choose one of {', '.join(FAMILIES)}") from None


def build_tiny_vlm(family: str, path: str | os.PathLike, *, vocab_size: int = 1024, seed: int = 0) -> str:
    """Write a tiny random checkpoint of ``family`` (a ``model_type``) to ``path``; returns the path."""
    import torch
    import transformers
    from transformers import PreTrainedTokenizerFast

    spec = _family(family)
    out = Path(path)
    out.mkdir(parents=True, exist_ok=True)
    raw = _qwen._train_tokenizer(vocab_size, spec.special_tokens)
    raw.add_tokens(list(spec.plain_tokens))
    named = {"bos_token": spec.bos} if spec.bos else {}
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=raw, eos_token=spec.eos, pad_token=spec.pad, unk_token=None,
        additional_special_tokens=[t for t in spec.special_tokens if t not in (spec.eos, spec.pad, spec.bos)],
        extra_special_tokens=dict(spec.named_tokens), model_max_length=8192, **named,
    )
    tokenizer.chat_template = spec.chat_template
    ids = {token: raw.token_to_id(token) for token in spec.special_tokens}

    config = spec.config(ids, raw.get_vocab_size())
    torch.manual_seed(seed)
    model = getattr(transformers, spec.model_class)(config).to(torch.bfloat16)
    stops = [ids[t] for t in spec.stop]
    model.generation_config.eos_token_id = stops if len(stops) > 1 else stops[0]
    model.generation_config.pad_token_id = ids[spec.pad]
    if spec.bos:
        model.generation_config.bos_token_id = ids[spec.bos]
    model.save_pretrained(out)
    if spec.renames:
        _rename_weights(out / "model.safetensors", spec.renames)

    processor = spec.processor(tokenizer, spec.chat_template)
    processor.save_pretrained(out)
    tokenizer.save_pretrained(out)
    # Some readers look for the template beside the tokenizer only; keep both copies in sync.
    (out / "chat_template.json").write_text(json.dumps({"chat_template": spec.chat_template}))
    return str(out)


def _rename_weights(path: Path, renames: tuple[tuple[str, str], ...]) -> None:
    """Rewrite a safetensors file with weight-name prefixes renamed (``old`` to ``new``, once)."""
    from safetensors import safe_open
    from safetensors.torch import save_file

    tensors = {}
    with safe_open(str(path), "pt") as f:
        metadata = f.metadata()
        for name in f.keys():
            for old, new in renames:
                if name.startswith(old) and not name.startswith(new):
                    name_out = new + name[len(old):]
                    break
            else:
                name_out = name
            tensors[name_out] = f.get_tensor(name)
    save_file(tensors, str(path), metadata=metadata)
