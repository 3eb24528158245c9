"""VLM serving over any OpenAI-compatible chat API (OpenAI, ``vllm serve``, ...).

Images go as data-URL ``image_url`` parts (loaded, made RGB and bounded like the local servings).
Requests run concurrently (``max_workers``), transient failures (429, 5xx, timeouts, connection
errors) are retried with exponential backoff and jitter (``max_retries``), and a row that still
fails gets an error of its own: it never aborts the other rows, and its answer is empty rather
than an ``"Error: ..."`` string that a later operator could mistake for model output.
"""

from __future__ import annotations

import logging
import os
import random
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from dataflow.core.serving import GenerationResult
from dataflow.errors import MissingDependencyError, ServingError
from dataflow.io.images import DEFAULT_MAX_PIXELS, DEFAULT_MIN_PIXELS, image_to_data_url, load_image
from dataflow.serving.base import LocalVLMServingBase, PreparedRow, failed

logger = logging.getLogger(__name__)

_RETRYABLE_STATUS = {408, 409, 429}


class APIVLMServing_openai(LocalVLMServingBase):
    """A VLM behind an OpenAI-compatible ``/chat/completions`` endpoint.

    Args:
        api_url: the API's base URL (``.../v1``).
        key_name_of_api_key: the environment variable holding the key (never logged).
        model_name: the served model's name.
        max_workers: concurrent requests.
        timeout: seconds per request.
        temperature, max_tokens, top_p: passed through (None: the server's default).
        max_retries: retries of a transient failure (429, 5xx, timeout, connection error).
        backoff_base, backoff_max: exponential backoff with full jitter, in seconds.
        min_pixels, max_pixels: bounds on each image's area before encoding.
        extra_body: extra JSON fields for each request (e.g. vLLM's ``min_tokens``).
    """

    def __init__(
        self,
        api_url: str = "https://api.openai.com/v1",
        key_name_of_api_key: str = "DF_API_KEY",
        model_name: str = "gpt-4o",
        max_workers: int = 10,
        timeout: float = 1800,
        *,
        temperature: float | None = None,
        max_tokens: int | None = None,
        top_p: float | None = None,
        max_retries: int = 5,
        backoff_base: float = 1.0,
        backoff_max: float = 60.0,
        min_pixels: int = DEFAULT_MIN_PIXELS,
        max_pixels: int = DEFAULT_MAX_PIXELS,
        extra_body: dict | None = None,
        show_progress: bool = True,
    ):
        if max_workers < 1:
            raise ValueError(f"The 'max_workers' parameter must be a positive int. Got {max_workers!r} instead.")
        self.api_url = api_url
        self.key_name_of_api_key = key_name_of_api_key
        self.model_name = model_name
        self.max_workers = max_workers
        self.timeout = timeout
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.top_p = top_p
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.min_pixels = min_pixels
        self.max_pixels = max_pixels
        self.extra_body = dict(extra_body or {})
        self.show_progress = show_progress
        self._client: Any = None

    # -- client --------------------------------------------------------------------------------
    @property
    def client(self) -> Any:
        if self._client is None:
            try:
                import openai
            except ImportError:
                raise MissingDependencyError("openai", "api", "APIVLMServing_openai") from None
            key = os.environ.get(self.key_name_of_api_key)
            if not key:
                raise ServingError(
                    f"no API key: set the environment variable {self.key_name_of_api_key} "
                    "(or pass key_name_of_api_key= naming the variable that holds it)"
                )
            # Retries are ours (with jitter and per-row accounting), not the client's.
            self._client = openai.OpenAI(base_url=self.api_url, api_key=key, timeout=self.timeout, max_retries=0)
        return self._client

    def load_model(self) -> None:
        _ = self.client

    def cleanup(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def fingerprint(self) -> dict:
        return {
            "class": type(self).__name__,
            "api_url": self.api_url,
            "model": self.model_name,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "top_p": self.top_p,
            "max_pixels": self.max_pixels,
            "extra_body": self.extra_body,
        }

    # -- requests ------------------------------------------------------------------------------
    @staticmethod
    def _api_messages(row: PreparedRow) -> list[dict]:
        images = iter(row.images)
        messages = []
        for message in row.messages:
            content = []
            for part in message["content"]:
                if part["type"] == "image":
                    content.append({"type": "image_url", "image_url": {"url": image_to_data_url(next(images))}})
                elif part["type"] == "text":
                    content.append({"type": "text", "text": part["text"]})
            if message["role"] != "user" and all(p["type"] == "text" for p in content):
                content = "".join(p["text"] for p in content)  # plain strings for system/assistant turns
            messages.append({"role": message["role"], "content": content})
        return messages

    def _is_retryable(self, err: Exception) -> bool:
        import openai

        if isinstance(err, (openai.APITimeoutError, openai.APIConnectionError, openai.RateLimitError)):
            return True
        if isinstance(err, openai.APIStatusError):
            return err.status_code >= 500 or err.status_code in _RETRYABLE_STATUS
        return False

    def _call(self, row: PreparedRow) -> GenerationResult:
        kwargs: dict[str, Any] = {"model": self.model_name, "messages": row.payload}
        for name in ("temperature", "max_tokens", "top_p"):
            if getattr(self, name) is not None:
                kwargs[name] = getattr(self, name)
        if self.extra_body:
            kwargs["extra_body"] = self.extra_body
        attempt = 0
        while True:
            try:
                response = self.client.chat.completions.create(**kwargs)
                choice = response.choices[0]
                usage = getattr(response, "usage", None)
                return GenerationResult(
                    text=choice.message.content or "",
                    finish_reason=choice.finish_reason,
                    output_tokens=getattr(usage, "completion_tokens", None),
                )
            except Exception as err:
                if attempt >= self.max_retries or not self._is_retryable(err):
                    return failed(f"API request failed after {attempt + 1} attempt(s): {type(err).__name__}: {err}")
                delay = random.uniform(0, min(self.backoff_max, self.backoff_base * 2**attempt))
                logger.debug("retrying in %.2fs after %s", delay, type(err).__name__)
                attempt += 1
                time.sleep(delay)

    def _load_image(self, item: Any, images_in_row: int) -> Any:
        return load_image(item, min_pixels=self.min_pixels, max_pixels=self.max_pixels)

    def _payload(self, row: PreparedRow) -> list[dict]:
        return self._api_messages(row)

    def generate_prepared(self, rows: list[PreparedRow]) -> list[GenerationResult]:
        """Send the prepared rows concurrently (``max_workers``); one result per row, in order."""
        if not rows:
            return []
        _ = self.client  # fail before any request when the key is missing
        from tqdm.auto import tqdm

        results: list[GenerationResult] = [failed(r.error) if r.error else None for r in rows]  # type: ignore[misc]
        todo = [i for i, r in enumerate(rows) if r.error is None]
        with ThreadPoolExecutor(max_workers=self.max_workers, thread_name_prefix="dataflow-api") as pool, tqdm(
            total=len(todo), desc="api", unit="row", disable=not self.show_progress or not todo
        ) as bar:
            futures = {i: pool.submit(self._call, rows[i]) for i in todo}
            for i, future in futures.items():
                results[i] = future.result()
                bar.update(1)
        return results
