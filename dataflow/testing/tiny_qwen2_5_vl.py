"""Build a tiny, randomly initialised Qwen2.5-VL checkpoint offline (a few seconds, ~1.5 MB).

The architecture is the real one (vision tower with window attention, M-RoPE text model, Qwen's
special tokens and chat template), so the real engines (vLLM, transformers) load and run it; the
weights are random, so its text is gibberish. Used by the test suite and the benchmarks::

    from dataflow.testing import build_tiny_qwen2_5_vl
    path = build_tiny_qwen2_5_vl("/tmp/tiny-qwen")

Facts that make it load in vLLM's CPU engine: head_dim 64 (its CPU attention needs one of
32/64/80/96/112/128), ``mrope_section`` summing to head_dim/2, and an image processor bounded at
448*448 pixels (vLLM profiles memory with a maximum-size dummy image).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

# Qwen2's special tokens, in their real order (ids follow the trained vocabulary).
SPECIAL_TOKENS = [
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|object_ref_start|>",
    "<|object_ref_end|>",
    "<|box_start|>",
    "<|box_end|>",
    "<|quad_start|>",
    "<|quad_end|>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<|vision_pad|>",
    "<|image_pad|>",
    "<|video_pad|>",
]

# Qwen-VL's chat format: a default system turn, <|vision_start|><|image_pad|><|vision_end|> per image.
CHAT_TEMPLATE = (
    "{% set image_count = namespace(value=0) %}{% set video_count = namespace(value=0) %}"
    "{% for message in messages %}"
    "{% if loop.first and message['role'] != 'system' %}<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n{% endif %}"
    "<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}<|im_end|>\n"
    "{% else %}{% for content in message['content'] %}"
    "{% if content['type'] == 'image' or 'image' in content or 'image_url' in content %}"
    "{% set image_count.value = image_count.value + 1 %}<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif content['type'] == 'video' or 'video' in content %}"
    "{% set video_count.value = video_count.value + 1 %}<|vision_start|><|video_pad|><|vision_end|>"
    "{% elif 'text' in content %}{{ content['text'] }}{% endif %}"
    "{% endfor %}<|im_end|>\n{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

_CORPUS = [
    "The Eiffel Tower is a wrought-iron lattice tower on the Champ de Mars in Paris, France.",
    "Question: Who is the tower named after? Answer: Gustave Eiffel.",
    "A Wikipedia article describes a subject in a neutral, encyclopedic tone with facts and dates.",
    "Astronauts train for years before flying on the space shuttle or the space station.",
    "Coffee is a beverage brewed from roasted coffee beans, first cultivated in Ethiopia and Yemen.",
    "The domestic cat is a small carnivorous mammal; cats were domesticated in the Near East.",
    "Falcon 9 is a partially reusable rocket designed and manufactured by SpaceX in 2010.",
    "1. What year? 2. Which city? 3. How many? Q1: A1: Q2: A2: **Question:** **Answer:**",
    "0123456789 abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ .,:;!?()[]{}<>-_'\"/\\|@#$%^&*+=~`",
]


def _train_tokenizer(vocab_size: int, special_tokens: list[str] = SPECIAL_TOKENS):
    """A byte-level BPE tokenizer trained on a small corpus, then ``special_tokens`` added in order."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(_CORPUS * 20, trainer=trainer)
    tokenizer.add_special_tokens(special_tokens)
    return tokenizer


def build_tiny_qwen2_5_vl(
    path: str | os.PathLike,
    *,
    vocab_size: int = 1024,
    max_pixels: int = 448 * 448,
    max_position_embeddings: int = 8192,
    seed: int = 0,
) -> str:
    """Write a tiny random Qwen2.5-VL checkpoint (model, tokenizer, processor) to ``path``."""
    import torch
    from transformers import (
        PreTrainedTokenizerFast,
        Qwen2_5_VLConfig,
        Qwen2_5_VLForConditionalGeneration,
    )

    out = Path(path)
    out.mkdir(parents=True, exist_ok=True)
    raw = _train_tokenizer(vocab_size)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=raw,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        unk_token=None,
        additional_special_tokens=SPECIAL_TOKENS[1:],
        model_max_length=max_position_embeddings,
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    ids = {tok: raw.token_to_id(tok) for tok in SPECIAL_TOKENS}

    config = _tiny_config(Qwen2_5_VLConfig, ids, raw.get_vocab_size(), max_position_embeddings)
    torch.manual_seed(seed)
    _save_model(Qwen2_5_VLForConditionalGeneration(config).to(torch.bfloat16), out, ids)
    _save_processor(out, tokenizer, max_pixels)
    return str(out)


def _tiny_config(config_class: Any, ids: dict, vocab_size: int, max_position_embeddings: int) -> Any:
    """A Qwen2.5-VL configuration two layers deep, in both towers, with the tokenizer's special ids."""
    head_dim = 64
    return config_class(
        text_config={
            "vocab_size": vocab_size,
            "hidden_size": 2 * head_dim,
            "intermediate_size": 256,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
            "num_key_value_heads": 1,
            "max_position_embeddings": max_position_embeddings,
            "rope_parameters": {"rope_type": "default", "rope_theta": 1000000.0, "mrope_section": [8, 12, 12]},
            "rope_scaling": {"type": "mrope", "mrope_section": [8, 12, 12]},
            "bos_token_id": ids["<|endoftext|>"],
            "eos_token_id": ids["<|im_end|>"],
            "pad_token_id": ids["<|endoftext|>"],
            "tie_word_embeddings": False,
        },
        vision_config={
            "depth": 2,
            "hidden_size": 64,
            "intermediate_size": 128,
            "num_heads": 2,
            "patch_size": 14,
            "spatial_merge_size": 2,
            "temporal_patch_size": 2,
            "window_size": 112,
            "fullatt_block_indexes": [1],
            "out_hidden_size": 2 * head_dim,
        },
        **_special_token_ids(ids),
        tie_word_embeddings=False,
    )


def vision_token_ids(ids: dict) -> dict:
    """A Qwen-VL config's image/video token ids, from the tokenizer's."""
    return {
        "image_token_id": ids["<|image_pad|>"],
        "video_token_id": ids["<|video_pad|>"],
        "vision_start_token_id": ids["<|vision_start|>"],
        "vision_end_token_id": ids["<|vision_end|>"],
    }


def _special_token_ids(ids: dict) -> dict:
    """The model config's special-token ids, from the tokenizer's."""
    return {
        **vision_token_ids(ids),
        "bos_token_id": ids["<|endoftext|>"],
        "eos_token_id": ids["<|im_end|>"],
        "pad_token_id": ids["<|endoftext|>"],
    }


def _save_model(model, out: Path, ids: dict) -> None:
    """Save ``model`` with a generation config that stops at ``<|im_end|>``, as Qwen's does."""
    model.generation_config.eos_token_id = ids["<|im_end|>"]
    model.generation_config.pad_token_id = ids["<|endoftext|>"]
    model.generation_config.bos_token_id = ids["<|endoftext|>"]
    model.save_pretrained(out)


def _save_processor(out: Path, tokenizer, max_pixels: int) -> None:
    from transformers import Qwen2_5_VLProcessor, Qwen2VLImageProcessor
    from transformers.models.qwen2_vl.video_processing_qwen2_vl import Qwen2VLVideoProcessor

    image_processor = Qwen2VLImageProcessor(min_pixels=28 * 28 * 4, max_pixels=max_pixels)
    image_processor.size = {"shortest_edge": 28 * 28 * 4, "longest_edge": max_pixels}
    video_processor = Qwen2VLVideoProcessor(min_pixels=28 * 28 * 4, max_pixels=max_pixels)
    processor = Qwen2_5_VLProcessor(
        image_processor=image_processor,
        tokenizer=tokenizer,
        video_processor=video_processor,
        chat_template=CHAT_TEMPLATE,
    )
    processor.save_pretrained(out)
    tokenizer.save_pretrained(out)
    # Some readers look for the template beside the tokenizer only; keep both copies in sync.
    (out / "chat_template.json").write_text(json.dumps({"chat_template": CHAT_TEMPLATE}))


# Qwen2.5-VL-3B-Instruct's architecture (its config.json), for benchmarks with random weights.
QWEN2_5_VL_3B_TEXT = {
    "vocab_size": 151936,
    "hidden_size": 2048,
    "intermediate_size": 11008,
    "num_hidden_layers": 36,
    "num_attention_heads": 16,
    "num_key_value_heads": 2,
    "max_position_embeddings": 128000,
    "rope_parameters": {"rope_type": "default", "rope_theta": 1000000.0, "mrope_section": [16, 24, 24]},
    "rms_norm_eps": 1e-06,
    "tie_word_embeddings": True,
}
QWEN2_5_VL_3B_VISION = {
    "depth": 32,
    "hidden_size": 1280,
    "intermediate_size": 3420,
    "num_heads": 16,
    "patch_size": 14,
    "spatial_merge_size": 2,
    "temporal_patch_size": 2,
    "window_size": 112,
    "fullatt_block_indexes": [7, 15, 23, 31],
    "out_hidden_size": 2048,
    "tokens_per_second": 2,
}
_QWEN_FIRST_SPECIAL_ID = 151643


def build_random_qwen2_5_vl_3b(path: str | os.PathLike, *, device: str = "cuda", max_pixels: int = 1280 * 28 * 28) -> str:
    """Write the real Qwen2.5-VL-3B architecture with random bf16 weights to ``path`` (no download).

    The tokenizer is a synthetic word-level one with Qwen's 151,936 ids and its special tokens at
    their real ids: enough to render chat prompts and count tokens, not to read the output.
    """
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast, Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration

    out = Path(path)
    out.mkdir(parents=True, exist_ok=True)
    vocab = {f"w{i}": i for i in range(_QWEN_FIRST_SPECIAL_ID)}
    raw = Tokenizer(models.WordLevel(vocab=vocab, unk_token="w0"))
    raw.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    raw.add_special_tokens(SPECIAL_TOKENS)
    ids = {tok: raw.token_to_id(tok) for tok in SPECIAL_TOKENS}
    assert ids["<|image_pad|>"] == 151655, ids
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=raw, eos_token="<|im_end|>", pad_token="<|endoftext|>", unk_token="w0",
        additional_special_tokens=SPECIAL_TOKENS[1:], model_max_length=32768,
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    config = Qwen2_5_VLConfig(
        text_config={**QWEN2_5_VL_3B_TEXT, "bos_token_id": ids["<|endoftext|>"], "eos_token_id": ids["<|im_end|>"]},
        vision_config=QWEN2_5_VL_3B_VISION,
        **_special_token_ids(ids),
        tie_word_embeddings=True,
    )
    torch.manual_seed(0)
    with torch.device(device):
        model = Qwen2_5_VLForConditionalGeneration._from_config(config, dtype=torch.bfloat16)
    _save_model(model, out, ids)
    del model
    _save_processor(out, tokenizer, max_pixels)
    return str(out)
