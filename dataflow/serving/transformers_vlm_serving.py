"""Local VLM serving on Hugging Face transformers (``LocalModelVLMServing_transformers``).

The same ``generate_from_input_messages`` contract as the vLLM serving, for users without vLLM and
for CPU runs: batched generation with left padding, sampling arguments named like the vLLM ones,
device and dtype chosen automatically. On CUDA, ``static_cache=True`` uses a static KV cache and
``torch.compile`` for the decoding step (several times faster at large batches).
"""

from __future__ import annotations

import gc
import logging
import time
from typing import Any

from dataflow.core.serving import GenerationResult
from dataflow.errors import MissingDependencyError
from dataflow.io.adapters import ChatAdapter
from dataflow.serving.base import LocalVLMServingBase, PreparedRow, SamplingConfig, failed

logger = logging.getLogger(__name__)


def _torch():
    try:
        import torch
        import transformers  # noqa: F401
    except ImportError:
        raise MissingDependencyError("transformers", "hf", "LocalModelVLMServing_transformers") from None
    return torch


class LocalModelVLMServing_transformers(LocalVLMServingBase):
    """A VLM on HF transformers' ``generate``.

    Args:
        hf_model_name_or_path, hf_cache_dir, hf_local_dir: as for ``LocalModelVLMServing_vllm``.
        temperature, top_p, top_k, max_tokens, repetition_penalty, seed: sampling (temperature 0:
            greedy).
        min_tokens: at least this many new tokens per answer.
        batch_size: conversations per ``generate`` call.
        device: ``"cuda"``, ``"cpu"``, ... (default: CUDA when available).
        dtype: ``"bfloat16"``, ``"float16"``, ``"float32"`` (default: bfloat16 on CUDA, float32 on CPU).
        min_pixels, max_pixels: bounds on each image's area (Qwen-VL rule).
        static_cache: on CUDA, a static KV cache plus ``torch.compile`` for decoding.
        attn_implementation: passed to ``from_pretrained`` (e.g. ``"sdpa"``, ``"flash_attention_2"``).
        model_kwargs: anything else for ``from_pretrained``.
    """

    def __init__(
        self,
        hf_model_name_or_path: str = None,
        hf_cache_dir: str = None,
        hf_local_dir: str = None,
        temperature: float = 0.7,
        top_p: float = 0.9,
        top_k: int = 40,
        max_tokens: int = 1024,
        repetition_penalty: float = 1.0,
        seed: int | None = 42,
        *,
        min_tokens: int = 0,
        batch_size: int = 8,
        device: str | None = None,
        dtype: str | None = None,
        min_pixels: int | None = None,
        max_pixels: int | None = None,
        static_cache: bool = False,
        attn_implementation: str | None = None,
        model_kwargs: dict | None = None,
        show_progress: bool = True,
    ):
        if batch_size < 1:
            raise ValueError(f"The 'batch_size' parameter must be a positive int. Got {batch_size!r} instead.")
        self.hf_model_name_or_path = hf_model_name_or_path
        self.hf_cache_dir = hf_cache_dir
        self.hf_local_dir = hf_local_dir
        self.sampling = SamplingConfig(
            temperature=temperature, top_p=top_p, top_k=top_k, max_tokens=max_tokens,
            repetition_penalty=repetition_penalty, seed=seed, min_tokens=min_tokens,
        )
        self.batch_size = batch_size
        self.device = device
        self.dtype = dtype
        self.min_pixels = min_pixels
        self.max_pixels = max_pixels
        self.static_cache = static_cache
        self.attn_implementation = attn_implementation
        self.model_kwargs = dict(model_kwargs or {})
        self.show_progress = show_progress
        self.model: Any = None
        self.processor: Any = None
        self.adapter: ChatAdapter | None = None
        self.model_path: str | None = None

    def load_model(self) -> None:
        """Load the model and processor now (otherwise the first call does)."""
        if self.model is not None:
            return
        began = time.perf_counter()
        torch = _torch()
        from transformers import AutoModelForImageTextToText

        adapter = self._resolve()
        device = self.device or ("cuda" if torch.cuda.is_available() else "cpu")
        if self.dtype:
            dtype = getattr(torch, self.dtype)
        elif device.startswith("cuda"):
            dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        else:
            dtype = torch.float32
        started = time.perf_counter()
        kwargs = {"dtype": dtype, **self.model_kwargs}
        if self.attn_implementation:
            kwargs["attn_implementation"] = self.attn_implementation
        model = AutoModelForImageTextToText.from_pretrained(self.model_path, **kwargs)
        self.model = model.to(device).eval()
        self.processor = adapter.processor
        tokenizer = getattr(self.processor, "tokenizer", self.processor)
        tokenizer.padding_side = "left"
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        self.device = device
        self.startup_seconds += time.perf_counter() - began
        logger.info(
            "transformers model ready in %.1fs: %s on %s (%s)", time.perf_counter() - started,
            self.model_path, device, str(dtype).replace("torch.", ""),
        )

    def cleanup(self) -> None:
        if self.model is None:
            return
        self.model = None
        gc.collect()
        try:
            import torch

            if torch.cuda.is_available():
                torch.cuda.empty_cache()
        except ImportError:  # pragma: no cover
            pass

    def fingerprint(self) -> dict:
        return {
            "class": type(self).__name__,
            "model": str(self.hf_model_name_or_path),
            "sampling": self.sampling.as_dict(),
            "min_pixels": self.min_pixels,
            "max_pixels": self.max_pixels,
        }

    # -- generation ----------------------------------------------------------------------------
    def _generate_kwargs(self) -> dict:
        s = self.sampling
        kwargs: dict[str, Any] = {"max_new_tokens": s.max_tokens, "repetition_penalty": s.repetition_penalty}
        if s.min_tokens:
            kwargs["min_new_tokens"] = s.min_tokens
        if s.temperature and s.temperature > 0:
            kwargs.update(do_sample=True, temperature=s.temperature, top_p=s.top_p, top_k=s.top_k)
        else:
            kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        if self.static_cache and str(self.device).startswith("cuda"):
            # transformers compiles the decoding step by itself when the cache is static.
            kwargs["cache_implementation"] = "static"
        return kwargs

    def _generate_batch(self, rows: list[PreparedRow], json_schema: dict | None = None) -> list[GenerationResult]:
        torch = _torch()
        prompts = [r.payload for r in rows]
        # One list of images per prompt: every family's processor reads that shape, and some (Gemma 3,
        # LLaVA-OneVision) misassign a flat list when rows bring different numbers of images.
        images = [list(r.images) for r in rows] if any(r.images for r in rows) else None
        inputs = self.processor(
            text=prompts, images=images, padding=True, return_tensors="pt", padding_side="left"
        ).to(self.model.device)
        if self.sampling.seed is not None:
            torch.manual_seed(self.sampling.seed)
        kwargs = self._generate_kwargs()
        if json_schema is not None:
            from transformers import LogitsProcessorList

            from dataflow.serving.guided import JsonSchemaLogitsProcessor

            guide = JsonSchemaLogitsProcessor(
                getattr(self.processor, "tokenizer", self.processor), json_schema, len(rows), inputs["input_ids"].shape[1]
            )
            kwargs["logits_processor"] = LogitsProcessorList([guide])
        with torch.inference_mode():
            out = self.model.generate(**inputs, **kwargs)
        new_tokens = out[:, inputs["input_ids"].shape[1]:]
        tokenizer = getattr(self.processor, "tokenizer", self.processor)
        # An answer ends at its first end-of-sequence token; generate() pads finished rows after it.
        # The pad token itself is no stop: a model may emit it (random weights do), and min_tokens
        # does not hold it back.
        stop_ids = {tokenizer.eos_token_id} - {None}
        gen_eos = getattr(self.model.generation_config, "eos_token_id", None)
        stop_ids.update(gen_eos if isinstance(gen_eos, list) else ([gen_eos] if gen_eos is not None else []))
        results = []
        for row_tokens in new_tokens.tolist():
            length = next((k for k, t in enumerate(row_tokens) if t in stop_ids), len(row_tokens))
            finish = "stop" if length < len(row_tokens) else "length"
            text = tokenizer.decode(row_tokens[:length], skip_special_tokens=True)
            results.append(GenerationResult(text=text, finish_reason=finish, output_tokens=length))
        return results

    def _run_batch(self, rows: list[PreparedRow], json_schema: dict | None = None) -> list[GenerationResult]:
        try:
            return self._generate_batch(rows, json_schema)
        except Exception as err:
            if len(rows) == 1:
                return [failed(f"generation failed: {type(err).__name__}: {err}")]
            logger.warning("a batch of %d failed (%s); retrying row by row", len(rows), err)
            return [r for row in rows for r in self._run_batch([row], json_schema)]

    def _load_image(self, item: Any, images_in_row: int) -> Any:
        return self._resolve().prepare_image(item)

    def _payload(self, row: PreparedRow) -> str:
        return self._resolve().render(row.messages)

    def generate_prepared(self, rows: list[PreparedRow], json_schema: dict | None = None) -> list[GenerationResult]:
        """Generate in batches of ``batch_size`` (similar image sizes together); one result per row.

        ``json_schema``: constrain every answer to this JSON Schema (llguidance).
        """
        if not rows:
            return []
        self.load_model()
        results: list[GenerationResult | None] = [failed(r.error, True) if r.error else None for r in rows]
        todo = [i for i, r in enumerate(rows) if r.error is None]
        # Similar prompt lengths in one batch waste less padding.
        todo.sort(key=lambda i: sum(im.width * im.height for im in rows[i].images))
        progress = _progress(len(todo), self.show_progress)
        for start in range(0, len(todo), self.batch_size):
            chunk = todo[start : start + self.batch_size]
            for i, result in zip(chunk, self._run_batch([rows[i] for i in chunk], json_schema)):
                results[i] = result
            progress.update(len(chunk))
        progress.close()
        return results  # type: ignore[return-value]


def _progress(total: int, enabled: bool) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="generate", unit="row", disable=not enabled or total == 0)
