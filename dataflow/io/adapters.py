"""Per-model chat/IO adapters, chosen from the checkpoint's ``config.json`` (``model_type``).

Upstream picks the adapter from the model folder's name, so ``hf_local_dir="./ckpt"`` breaks it;
here the checkpoint says what it is. An adapter knows how to bound an image for the model (Qwen-VL:
sides multiple of patch x merge size, area within min/max pixels) and renders messages with the
checkpoint's own processor chat template.
"""

from __future__ import annotations

import hashlib

import functools
import importlib.metadata
import json
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dataflow.errors import ServingError
from dataflow.io.families import QWEN_VL_MODEL_TYPES, family_of, image_bounds, read_processor_config
from dataflow.io.images import DEFAULT_MAX_PIXELS, DEFAULT_MIN_PIXELS, IMAGE_ID_KEY, DecodedImageCache, load_image

logger = logging.getLogger(__name__)
_PROCESSOR_LOCK = threading.RLock()



@functools.lru_cache(maxsize=1)
def _transformers_major() -> int:
    try:
        return int(importlib.metadata.version("transformers").split(".")[0])
    except (importlib.metadata.PackageNotFoundError, ValueError):
        return 5


def read_model_config(model_dir: str | Path) -> dict:
    path = Path(model_dir) / "config.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ServingError(f"{model_dir} has no config.json: is it a Hugging Face model folder?") from None
    except ValueError as err:
        raise ServingError(f"{path} is not valid JSON: {err}") from None


@dataclass
class ChatAdapter:
    """How one model family wants its prompts and images."""

    model_dir: str
    model_type: str
    factor: int = 1
    min_pixels: int | None = DEFAULT_MIN_PIXELS
    max_pixels: int | None = DEFAULT_MAX_PIXELS
    tokens_scale_with_pixels: bool = False  # one token per factor x factor pixels (Qwen-VL)
    bounds_rule: str = ""  # how the family's bounds were read from the checkpoint
    _processor: Any = field(default=None, repr=False)

    @property
    def is_qwen_vl(self) -> bool:
        return self.model_type in QWEN_VL_MODEL_TYPES

    def mm_processor_kwargs(self) -> dict:
        """Pixel bounds for the model's own processor, so it agrees with ``prepare_image``."""
        if not self.is_qwen_vl:
            return {}
        if _transformers_major() >= 5:  # transformers 5 takes the bounds as `size`; min/max_pixels are deprecated
            return {"size": {"shortest_edge": self.min_pixels, "longest_edge": self.max_pixels}}
        return {"min_pixels": self.min_pixels, "max_pixels": self.max_pixels}

    def prepare_image(self, source: Any, max_pixels: int | None = None, exact: bool = True) -> Any:
        """Load and bound one image; ``exact=False`` leaves the last resize to the model's processor.

        A file several rows share is decoded once (``DecodedImageCache``, keyed by path, size,
        modification time and bounds).
        """
        bound = max_pixels if max_pixels is not None else self.max_pixels
        key = DecodedImageCache.key(source, self.factor, self.min_pixels, bound, exact)

        def load() -> Any:
            image = load_image(source, factor=self.factor, min_pixels=self.min_pixels, max_pixels=bound, exact=exact)
            if key is not None:  # a stable id for this file at these bounds: engines need not hash the pixels
                image.info[IMAGE_ID_KEY] = hashlib.sha1(repr(key).encode()).hexdigest()
            return image

        return self.image_cache.get_or_load(key, load)

    @property
    def image_cache(self) -> DecodedImageCache:
        cache = self.__dict__.get("_image_cache")
        if cache is None:
            cache = self.__dict__["_image_cache"] = DecodedImageCache()
        return cache

    @property
    def processor(self) -> Any:
        if self._processor is None:
            # Rows are prepared on a thread pool: the processor is loaded once, not once per thread.
            with _PROCESSOR_LOCK:
                if self._processor is None:
                    try:
                        from transformers import AutoProcessor
                    except ImportError:
                        from dataflow.errors import MissingDependencyError

                        raise MissingDependencyError("transformers", "hf", "Rendering chat prompts") from None
                    self._processor = AutoProcessor.from_pretrained(self.model_dir)
        return self._processor

    def render(self, messages: list[dict]) -> str:
        """The prompt text for ``messages`` (with a generation prompt), by the checkpoint's template."""
        processor = self.processor
        template_owner = processor if getattr(processor, "chat_template", None) else getattr(processor, "tokenizer", processor)
        if not getattr(template_owner, "chat_template", None):
            raise ServingError(
                f"the checkpoint in {self.model_dir} has no chat template (processor or tokenizer); "
                "add one to its tokenizer_config.json or chat_template.json"
            )
        return template_owner.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)


def adapter_for(model_dir: str | Path, min_pixels: int | None = None, max_pixels: int | None = None) -> ChatAdapter:
    """The adapter for the checkpoint in ``model_dir``, from its ``model_type`` and its processor's settings.

    ``min_pixels``/``max_pixels`` override the bounds the family reads from the checkpoint.
    """
    model_dir = Path(model_dir)
    config = read_model_config(model_dir)
    model_type = str(config.get("model_type", ""))
    if family_of(model_type) is None:
        logger.info("model_type %r has no dedicated adapter; using the generic chat-template path", model_type)
    bounds = image_bounds(model_type, config, read_processor_config(model_dir))
    low = min_pixels if min_pixels is not None else bounds.min_pixels
    high = max_pixels if max_pixels is not None else bounds.max_pixels
    if low is not None and high is not None and low > high:
        raise ServingError(f"min_pixels ({low}) is larger than max_pixels ({high})")
    return ChatAdapter(str(model_dir), model_type, factor=bounds.factor, min_pixels=low, max_pixels=high,
                       tokens_scale_with_pixels=bounds.tokens_scale_with_pixels, bounds_rule=bounds.rule)
