"""What every VLM serving shares: sampling settings, model resolution, per-row preparation."""

from __future__ import annotations

import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Sequence

from dataflow.core.serving import DEFAULT_SYSTEM_PROMPT, GenerationResult, ServingCapabilities, VLMServingABC
from dataflow.errors import DataFlowError, MissingDependencyError, ServingError
from dataflow.io.adapters import ChatAdapter, adapter_for
from dataflow.io.images import ImageLoadError
from dataflow.io.messages import ConversationError, build_messages
from dataflow.storage.media import media_cell_to_list

logger = logging.getLogger(__name__)

_RESOLVE_LOCK = threading.RLock()


@dataclass
class SamplingConfig:
    """Sampling settings, named once for every backend."""

    temperature: float = 0.7
    top_p: float = 0.9
    top_k: int = 40
    max_tokens: int = 1024
    repetition_penalty: float = 1.0
    seed: int | None = 42
    min_tokens: int = 0
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


def resolve_model_path(name_or_path: str | None, cache_dir: str | None = None, local_dir: str | None = None) -> str:
    """A local folder is used as is; anything else is fetched with ``huggingface_hub.snapshot_download``."""
    if not name_or_path:
        raise ServingError("hf_model_name_or_path is required: a local model folder or a Hugging Face model id")
    expanded = os.path.expanduser(str(name_or_path))
    if os.path.isdir(expanded):
        return expanded
    if expanded.startswith((".", "/", "~")) or os.sep in expanded.strip("/").replace("/", "", 1):
        raise ServingError(
            f"model folder not found: {os.path.abspath(expanded)!r} (working directory: {os.getcwd()!r})"
        )
    try:
        from huggingface_hub import snapshot_download
    except ImportError:
        raise MissingDependencyError("huggingface_hub", "hf", "Downloading models") from None
    logger.info("fetching %s from the Hugging Face Hub (cache_dir=%s, local_dir=%s)", name_or_path, cache_dir, local_dir)
    try:
        return snapshot_download(
            repo_id=str(name_or_path),
            cache_dir=os.path.expanduser(cache_dir) if cache_dir else None,
            local_dir=os.path.expanduser(local_dir) if local_dir else None,
        )
    except Exception as err:  # network, auth, missing repo: say what was asked for
        raise ServingError(f"could not fetch model {name_or_path!r}: {err}") from err


def model_source_problem(name_or_path: str | None, cache_dir: str | None = None, local_dir: str | None = None) -> str | None:
    """Why ``resolve_model_path`` would fail for these arguments, or None; looked up, never fetched.

    A local folder must hold ``config.json``. A hub id cannot be checked without the network,
    except when the hub is offline (``HF_HUB_OFFLINE=1``): then it must be in ``local_dir`` or the cache.
    """
    if not name_or_path:
        return "hf_model_name_or_path is not set: give a local model folder or a Hugging Face model id"
    expanded = os.path.expanduser(str(name_or_path))
    if os.path.isdir(expanded):
        if not os.path.isfile(os.path.join(expanded, "config.json")):
            return f"model folder {os.path.abspath(expanded)!r} has no config.json (is it a Hugging Face checkpoint?)"
        return None
    if expanded.startswith((".", "/", "~")) or os.sep in expanded.strip("/").replace("/", "", 1):
        return f"model folder not found: {os.path.abspath(expanded)!r} (working directory: {os.getcwd()!r})"
    if local_dir and os.path.isfile(os.path.join(os.path.expanduser(local_dir), "config.json")):
        return None
    if os.environ.get("HF_HUB_OFFLINE", "").strip().lower() not in ("1", "true", "yes", "on"):
        return None
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return None
    cached = try_to_load_from_cache(
        str(name_or_path), "config.json", cache_dir=os.path.expanduser(cache_dir) if cache_dir else None
    )
    if isinstance(cached, str):
        return None
    return (
        f"model {name_or_path!r} is not in the cache ({cache_dir or 'the default Hugging Face cache'}) and the hub is "
        "offline (HF_HUB_OFFLINE=1): download it first, or point hf_model_name_or_path at a local folder"
    )


@dataclass
class PreparedRow:
    """One conversation made ready for an engine, or the reason it cannot be.

    ``payload`` is whatever the backend precomputes off the engine's critical path (a rendered
    prompt, API messages).
    """

    messages: list[dict] = field(default_factory=list)
    images: list[Any] = field(default_factory=list)
    error: str | None = None
    payload: Any = None


def _row(sequence: Sequence | None, index: int) -> Any:
    if sequence is None or index >= len(sequence):
        return None
    return sequence[index]


class PreparedServingBase(VLMServingABC):
    """What every serving here shares: conversations and media in, ``GenerationResult`` per row out,
    with preparation (messages, decoded images, the backend's payload) split from generation.

    A backend supplies ``_load_image``, ``_payload`` and ``generate_prepared``.
    """

    capabilities = ServingCapabilities(results=True, json_schema=True, prepared=True)
    prepare_workers: int | None = None
    startup_seconds: float = 0.0  # time spent starting engines so far (summaries show it apart)

    def generate_results(
        self,
        conversations: Sequence[Any],
        image_list: Sequence[Any] | None = None,
        video_list: Sequence[Any] | None = None,
        audio_list: Sequence[Any] | None = None,
        system_prompt: str = DEFAULT_SYSTEM_PROMPT,
        json_schema: dict | None = None,
    ) -> list[GenerationResult]:
        """One ``GenerationResult`` per conversation, in order; bad rows carry an error.

        The same as ``generate_prepared(prepare(...), json_schema)``: callers that want to load the
        next batch's images while the engine works on this one call the two halves themselves.
        ``json_schema`` constrains every answer to that JSON Schema (guided decoding).
        """
        if not conversations:
            return []
        prepared = self.prepare(conversations, image_list, video_list, audio_list, system_prompt)
        return self.generate_prepared(prepared, json_schema)

    def prepare(
        self,
        conversations: Sequence[Any],
        image_list: Sequence[Any] | None = None,
        video_list: Sequence[Any] | None = None,
        audio_list: Sequence[Any] | None = None,
        system_prompt: str = DEFAULT_SYSTEM_PROMPT,
    ) -> list[PreparedRow]:
        """Messages, loaded images and the backend's payload per row (CPU work, thread-safe)."""
        rows = self.prepare_rows(conversations, image_list, video_list, audio_list, system_prompt, self._load_image)
        for row in rows:
            if row.error is None:
                try:
                    row.payload = self._payload(row)
                except DataFlowError:  # the serving as a whole cannot work (no model): not a row's fault
                    raise
                except Exception as err:  # e.g. a chat template that rejects this conversation
                    row.error = f"cannot build the request: {type(err).__name__}: {err}"
        return rows

    def generate_prepared(self, rows: list[PreparedRow], json_schema: dict | None = None) -> list[GenerationResult]:
        """Run the engine on prepared rows; rows that failed preparation keep their error."""
        raise NotImplementedError

    def _load_image(self, item: Any, images_in_row: int) -> Any:
        raise NotImplementedError

    def _payload(self, row: PreparedRow) -> Any:
        return None

    def generate_from_input_messages(
        self,
        conversations: Sequence[Any],
        image_list: Sequence[Any] | None = None,
        video_list: Sequence[Any] | None = None,
        audio_list: Sequence[Any] | None = None,
        system_prompt: str = DEFAULT_SYSTEM_PROMPT,
    ) -> list[str]:
        """One answer per conversation, in order; a row that failed gives ``""`` (see ``generate_results``)."""
        results = self.generate_results(conversations, image_list, video_list, audio_list, system_prompt)
        return [r.text for r in results]

    def generate_from_input(
        self,
        user_inputs: list[str],
        system_prompt: str = DEFAULT_SYSTEM_PROMPT,
        image_inputs: Sequence[Any] | None = None,
        video_inputs: Sequence[Any] | None = None,
        audio_inputs: Sequence[Any] | None = None,
    ) -> list[str]:
        """Plain-text prompts (``<image>`` markers allowed) with optional media per prompt."""
        conversations = [[{"role": "user", "content": text}] for text in user_inputs]
        return self.generate_from_input_messages(conversations, image_inputs, video_inputs, audio_inputs, system_prompt)

    # -- preparation ------------------------------------------------------------------------
    def _prepare_one(
        self,
        conversation: Any,
        images: Any,
        videos: Any,
        audios: Any,
        system_prompt: str | None,
        load: Callable[[Any, int], Any],
    ) -> PreparedRow:
        try:
            image_items = media_cell_to_list(images)
            if media_cell_to_list(videos) or media_cell_to_list(audios):
                raise ConversationError(f"{type(self).__name__} takes images only; this row has video or audio input")
            messages = build_messages(conversation, n_images=len(image_items), system_prompt=system_prompt)
            return PreparedRow(messages, [load(item, len(image_items)) for item in image_items])
        except (ConversationError, ImageLoadError, ValueError) as err:
            return PreparedRow(error=str(err))

    def prepare_rows(
        self,
        conversations: Sequence[Any],
        image_list: Sequence[Any] | None,
        video_list: Sequence[Any] | None,
        audio_list: Sequence[Any] | None,
        system_prompt: str | None,
        load: Callable[[Any, int], Any],
    ) -> list[PreparedRow]:
        """Build messages and load images for every row, in parallel threads (PIL releases the GIL)."""
        n = len(conversations)
        for name, seq in (("image_list", image_list), ("video_list", video_list), ("audio_list", audio_list)):
            if seq is not None and len(seq) != n:
                raise ValueError(f"{name} has {len(seq)} entries for {n} conversations; give one entry per conversation")
        workers = self.prepare_workers or min(8, os.cpu_count() or 1)

        def work(i: int) -> PreparedRow:
            return self._prepare_one(
                conversations[i], _row(image_list, i), _row(video_list, i), _row(audio_list, i), system_prompt, load
            )

        if workers <= 1 or n <= 1:
            return [work(i) for i in range(n)]
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="dataflow-prepare") as pool:
            return list(pool.map(work, range(n)))


class LocalVLMServingBase(PreparedServingBase):
    """A serving of a local checkpoint: resolves (and if needed downloads) the model once, and picks
    the chat adapter from its ``config.json``."""

    adapter: ChatAdapter | None = None

    def _resolve(self) -> ChatAdapter:
        """The checkpoint's folder (downloaded if needed) and its chat adapter, once (local models).

        Image-preparation threads all call this: the lock makes one of them resolve (and log the
        download) while the others wait, and a failure is kept and raised again at once, never
        retried per row.
        """
        if self.adapter is None:
            with _RESOLVE_LOCK:
                failure = getattr(self, "_resolve_failure", None)
                if failure is not None:
                    raise failure
                if self.adapter is None:
                    try:
                        self.model_path = resolve_model_path(
                            self.hf_model_name_or_path, self.hf_cache_dir, self.hf_local_dir
                        )
                        self.adapter = adapter_for(self.model_path, self.min_pixels, self.max_pixels)
                    except DataFlowError as err:
                        self._resolve_failure = err
                        raise
        return self.adapter

    def preflight(self) -> list[str]:
        problem = model_source_problem(self.hf_model_name_or_path, self.hf_cache_dir, self.hf_local_dir)
        return [problem] if problem else []


def failed(message: str, before_model: bool = False) -> GenerationResult:
    return GenerationResult(text="", error=message, before_model=before_model)
