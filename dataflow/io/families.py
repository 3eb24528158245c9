"""The VLM families this library knows, by the checkpoint's ``model_type``.

A family says how large an image to hand the model's processor, read from the checkpoint's own
processor configuration, and whether its images cost tokens in proportion to their pixels (Qwen-VL:
one token per ``factor`` x ``factor`` square), which lets a serving shrink the images of a
many-image row to fit the context. Families not listed here go through the generic path: the
checkpoint's chat template and processor, images bounded at about a megapixel.

``tested`` names the servings the test suite runs the family on, with a tiny random checkpoint of
the real architecture (``dataflow.testing.build_tiny_vlm``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from dataflow.io.images import DEFAULT_MAX_PIXELS, DEFAULT_MIN_PIXELS

# Qwen-VL's default ceiling, in tokens per image (1280 tokens of 28x28 pixels for Qwen2.5-VL).
QWEN_MAX_TOKENS = DEFAULT_MAX_PIXELS // (28 * 28)
QWEN_MIN_TOKENS = DEFAULT_MIN_PIXELS // (28 * 28)
# Fixed-size processors squash any image to their square; an image this many times that area keeps
# every side at least the square's for aspect ratios up to 4:1, so the processor never upsamples.
_SQUARE_MARGIN = 4


@dataclass(frozen=True)
class ImageBounds:
    """How large an image goes to the processor.

    ``factor``: sides are rounded to multiples of it (1: any size). ``min_pixels``/``max_pixels``:
    the area's bounds. ``tokens_scale_with_pixels``: the model spends one token per ``factor`` x
    ``factor`` square (Qwen-VL), so a smaller image costs fewer tokens.
    """

    factor: int
    min_pixels: int | None
    max_pixels: int | None
    tokens_scale_with_pixels: bool = False
    rule: str = ""  # how the bounds were read, for `dataflow env --model`


@dataclass(frozen=True)
class Family:
    model_type: str
    name: str
    model_ids: tuple[str, ...]
    bounds: Callable[[dict, dict], ImageBounds]
    tested: tuple[str, ...] = ("vllm", "transformers")
    caveat: str = ""


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _qwen(config: dict, proc: dict) -> ImageBounds:
    vision = config.get("vision_config") or {}
    patch = _int(proc.get("patch_size")) or _int(vision.get("patch_size")) or 14
    merge = _int(proc.get("merge_size")) or _int(vision.get("spatial_merge_size")) or 2
    factor = patch * merge
    size = proc.get("size") or {}
    proc_min = _int(proc.get("min_pixels")) or _int(size.get("shortest_edge"))
    proc_max = _int(proc.get("max_pixels")) or _int(size.get("longest_edge"))
    low = max(QWEN_MIN_TOKENS * factor * factor, proc_min or 0)
    high = min(QWEN_MAX_TOKENS * factor * factor, proc_max or QWEN_MAX_TOKENS * factor * factor)
    return ImageBounds(factor, low, high, tokens_scale_with_pixels=True,
                       rule=f"{patch}-pixel patches merged {merge}x{merge}; area within the processor's pixel bounds, "
                            f"at most {QWEN_MAX_TOKENS} tokens")


def _square(proc: dict, default: int) -> tuple[int, int]:
    size = proc.get("size") or {}
    h = _int(size.get("height")) or _int(size.get("shortest_edge")) or default
    w = _int(size.get("width")) or h
    return h, w


def _gemma3(config: dict, proc: dict) -> ImageBounds:
    h, w = _square(proc, 896)
    crops = 1 + (_int(proc.get("pan_and_scan_max_num_crops")) or 4) if proc.get("do_pan_and_scan") else 1
    return ImageBounds(1, 1, _SQUARE_MARGIN * h * w * crops,
                       rule=f"resized to {w}x{h} by the processor; bounded at {_SQUARE_MARGIN}x that area"
                            + (f" times {crops} crops (pan and scan)" if crops > 1 else ""))


def _idefics3(config: dict, proc: dict) -> ImageBounds:
    size = proc.get("size") or {}
    longest = _int(size.get("longest_edge")) or 4 * 364
    tile = _int((proc.get("max_image_size") or {}).get("longest_edge")) or 364
    return ImageBounds(1, 1, longest * longest,
                       rule=f"longest side resized to {longest} by the processor, cut into {tile}-pixel tiles; "
                            f"bounded at {longest}x{longest} pixels")


def _llava_onevision(config: dict, proc: dict) -> ImageBounds:
    grids = proc.get("image_grid_pinpoints") or config.get("image_grid_pinpoints") or [[384, 384]]
    largest = max(int(a) * int(b) for a, b in grids)
    return ImageBounds(1, 1, largest,
                       rule=f"fitted to one of {len(grids)} tile grids (anyres) by the processor; "
                            f"bounded at the largest grid's {largest} pixels")


def _internvl(config: dict, proc: dict) -> ImageBounds:
    h, w = _square(proc, 448)
    tiles = (_int(proc.get("max_patches")) or 12) if proc.get("crop_to_patches", True) else 1
    return ImageBounds(1, 1, h * w * tiles,
                       rule=f"cut into at most {tiles} tiles of {w}x{h} by the processor; bounded at {tiles} tiles' area")


def generic_bounds(config: dict, proc: dict) -> ImageBounds:
    return ImageBounds(1, 1, DEFAULT_MAX_PIXELS, rule=f"generic path: bounded at {DEFAULT_MAX_PIXELS} pixels")


_QWEN_CAVEAT = "images cost one token per {f}x{f} pixels: many-image rows are shrunk to fit vllm_max_model_len"
FAMILIES: dict[str, Family] = {f.model_type: f for f in [
    Family("qwen2_vl", "Qwen2-VL", ("Qwen/Qwen2-VL-2B-Instruct", "Qwen/Qwen2-VL-7B-Instruct"), _qwen,
           caveat=_QWEN_CAVEAT.format(f=28)),
    Family("qwen2_5_vl", "Qwen2.5-VL", ("Qwen/Qwen2.5-VL-3B-Instruct", "Qwen/Qwen2.5-VL-7B-Instruct",
                                         "Qwen/Qwen2.5-VL-72B-Instruct"), _qwen,
           caveat="the default model; " + _QWEN_CAVEAT.format(f=28)),
    Family("qwen3_vl", "Qwen3-VL", ("Qwen/Qwen3-VL-2B-Instruct", "Qwen/Qwen3-VL-4B-Instruct",
                                     "Qwen/Qwen3-VL-8B-Instruct"), _qwen,
           caveat="16-pixel patches: " + _QWEN_CAVEAT.format(f=32)),
    Family("qwen3_vl_moe", "Qwen3-VL MoE", ("Qwen/Qwen3-VL-30B-A3B-Instruct",), _qwen, tested=(),
           caveat="Qwen3-VL's adapter; no tiny mixture-of-experts checkpoint in the tests"),
    Family("gemma3", "Gemma 3", ("google/gemma-3-4b-it", "google/gemma-3-12b-it", "google/gemma-3-27b-it"), _gemma3,
           caveat="gated on the Hub (accept the licence, log in); each image is 256 tokens at 896x896"),
    Family("idefics3", "SmolVLM / Idefics3", ("HuggingFaceTB/SmolVLM-Instruct", "HuggingFaceM4/Idefics3-8B-Llama3"),
           _idefics3, caveat="SmolVLM2 checkpoints are model_type smolvlm: generic path, untested"),
    Family("llava_onevision", "LLaVA-OneVision", ("llava-hf/llava-onevision-qwen2-0.5b-ov-hf",
                                                   "llava-hf/llava-onevision-qwen2-7b-ov-hf"), _llava_onevision,
           caveat="up to about 7,300 tokens per large image: raise vllm_max_model_len (e.g. 16384)"),
    Family("internvl", "InternVL3 (Hugging Face format)", ("OpenGVLab/InternVL3-1B-hf", "OpenGVLab/InternVL3-2B-hf",
                                                          "OpenGVLab/InternVL3-8B-hf"), _internvl,
           caveat="the -hf checkpoints; the original ones (model_type internvl_chat) need trust_remote_code "
                  "and are untested; up to 13 tiles of 256 tokens per image"),
]}


# The Qwen-VL families: their processors take min/max pixel bounds (vLLM's mm_processor_kwargs).
QWEN_VL_MODEL_TYPES = frozenset(name for name, family in FAMILIES.items() if family.bounds is _qwen)


def read_processor_config(model_dir: str | Path) -> dict:
    """The checkpoint's image-processor settings (``preprocessor_config.json`` or the processor's)."""
    model_dir = Path(model_dir)
    for name in ("preprocessor_config.json", "processor_config.json"):
        path = model_dir / name
        if not path.exists():
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            continue
        if isinstance(data, dict):
            data = data.get("image_processor", data)
            if isinstance(data, dict):
                return data
    return {}


def family_of(model_type: str) -> Family | None:
    return FAMILIES.get(model_type)


def image_bounds(model_type: str, config: dict, proc: dict) -> ImageBounds:
    family = family_of(model_type)
    return (family.bounds if family else generic_bounds)(config, proc)
