"""VLM serving over any OpenAI-compatible chat API (OpenAI, ``vllm serve``, ...).

Images go as data-URL ``image_url`` parts (loaded, made RGB and bounded like the local servings).
Requests run concurrently (``max_workers``), transient failures (429, 5xx, timeouts, connection
errors) are retried with exponential backoff and jitter (``max_retries``), and a row that still
fails gets an error of its own: it never aborts the other rows, and its answer is empty rather
than an ``"Error: ..."`` string that a later operator could mistake for model output.
"""

from __future__ import annotations

import json
import logging
import os
import random
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from dataflow.core.serving import GenerationResult
from dataflow.errors import MissingDependencyError, ServingError
from dataflow.io.images import DEFAULT_MAX_PIXELS, DEFAULT_MIN_PIXELS, image_to_data_url, load_image
from dataflow.serving.base import PreparedRow, PreparedServingBase, failed

logger = logging.getLogger(__name__)

_RETRYABLE_STATUS = {408, 409, 429}
DEFAULT_MAX_RESPONSE_BYTES = 8 * 1024 * 1024


class RequestDeadlineError(TimeoutError):
    """A request, its body included, took longer than the serving's ``timeout``."""


class ResponseTooLargeError(ServingError):
    """An answer's body is larger than ``max_response_bytes``."""


class _Watchdog:
    """Shuts a response's socket down at ``deadline`` (monotonic seconds) unless cancelled first."""

    def __init__(self, http_response: Any, deadline: float):
        import socket
        import threading

        self.fired = False
        stream = http_response.extensions.get("network_stream")
        sock = stream.get_extra_info("socket") if stream is not None else None

        def fire() -> None:
            self.fired = True
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

        self._timer = None
        if sock is not None:
            self._timer = threading.Timer(max(0.0, deadline - time.monotonic()), fire)
            self._timer.daemon = True
            self._timer.start()

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()


class _EmptyAnswer(Exception):
    """A well-formed answer that holds no text (no choices, ``content: null``)."""


class APIVLMServing_openai(PreparedServingBase):
    """A VLM behind an OpenAI-compatible ``/chat/completions`` endpoint.

    Args:
        api_url: the API's base URL (``.../v1``).
        key_name_of_api_key: the environment variable holding the key (never logged).
        model_name: the served model's name.
        max_workers: concurrent requests.
        timeout: seconds per request attempt, the whole body included (a server that sends one
            byte at a time is cut off too).
        temperature, max_tokens, top_p: passed through (None: the server's default).
        max_retries: retries of a transient failure (429, 5xx, timeout, connection error).
        backoff_base, backoff_max: exponential backoff with full jitter, in seconds.
        min_pixels, max_pixels: bounds on each image's area before encoding.
        extra_body: extra JSON fields for each request (e.g. vLLM's ``min_tokens``).
        max_response_bytes: the largest answer body accepted (default 8 MiB); a larger one fails
            its row.

    A 200 answer without text (no choices, ``content: null``) fails its row with the reason.
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
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
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
        self.max_response_bytes = max_response_bytes
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

    def preflight(self) -> list[str]:
        if not os.environ.get(self.key_name_of_api_key):
            return [f"no API key: the environment variable {self.key_name_of_api_key} is not set"]
        return []

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

        if isinstance(err, RequestDeadlineError):
            return True
        if isinstance(err, (openai.APITimeoutError, openai.APIConnectionError, openai.RateLimitError)):
            return True
        if isinstance(err, openai.APIStatusError):
            return err.status_code >= 500 or err.status_code in _RETRYABLE_STATUS
        return False

    def _call(self, row: PreparedRow, json_schema: dict | None = None) -> GenerationResult:
        kwargs: dict[str, Any] = {"model": self.model_name, "messages": row.payload}
        if json_schema is not None:
            # The OpenAI form, which vLLM's server honours too (it ignores the older guided_json).
            kwargs["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "answer", "schema": json_schema, "strict": True},
            }
        for name in ("temperature", "max_tokens", "top_p"):
            if getattr(self, name) is not None:
                kwargs[name] = getattr(self, name)
        if self.extra_body:
            kwargs["extra_body"] = self.extra_body
        attempt = 0
        while True:
            try:
                return self._answer(self._request(kwargs))
            except _EmptyAnswer as err:
                return failed(str(err))
            except Exception as err:
                if attempt >= self.max_retries or not self._is_retryable(err):
                    return failed(f"API request failed after {attempt + 1} attempt(s): {type(err).__name__}: {err}")
                delay = random.uniform(0, min(self.backoff_max, self.backoff_base * 2**attempt))
                logger.debug("retrying in %.2fs after %s", delay, type(err).__name__)
                attempt += 1
                time.sleep(delay)

    def _request(self, kwargs: dict) -> Any:
        """One request, its body read within ``timeout`` seconds in all and ``max_response_bytes``."""
        deadline = time.monotonic() + self.timeout
        late = RequestDeadlineError(f"no complete answer within timeout={self.timeout}s")
        with self.client.chat.completions.with_streaming_response.create(**kwargs) as response:
            http = response.http_response
            # httpx's timeout is per read: a server dribbling a byte at a time would never time
            # out. At the deadline a timer shuts the socket down, which ends a read blocked on it.
            watchdog = _Watchdog(http, deadline)
            body = bytearray()
            try:
                for chunk in http.iter_bytes():  # as it arrives (a chunk size would wait to fill it)
                    body += chunk
                    if len(body) > self.max_response_bytes:
                        raise ResponseTooLargeError(
                            f"the answer is larger than max_response_bytes={self.max_response_bytes}; "
                            "raise max_response_bytes or lower max_tokens"
                        )
                    if time.monotonic() > deadline:
                        raise late
            except ResponseTooLargeError:
                raise
            except Exception as err:
                if watchdog.fired or time.monotonic() > deadline:
                    raise late from err
                raise
            finally:
                watchdog.cancel()
        try:
            return json.loads(bytes(body))
        except ValueError as err:
            raise ServingError(f"the API answered with something that is not JSON: {bytes(body[:200])!r}") from err

    @staticmethod
    def _answer(payload: Any) -> GenerationResult:
        """The row's result from a chat completion body; no text is an error, never an empty success."""
        choices = payload.get("choices") if isinstance(payload, dict) else None
        if not choices or not isinstance(choices[0], dict):
            raise _EmptyAnswer("the API answered with no choices")
        choice = choices[0]
        message = choice.get("message") if isinstance(choice.get("message"), dict) else {}
        content = message.get("content")
        finish = choice.get("finish_reason")
        if not isinstance(content, str):
            refusal = message.get("refusal")
            why = f"refusal: {refusal}" if isinstance(refusal, str) and refusal else f"finish_reason={finish}"
            raise _EmptyAnswer(f"the API answered with no text (content: {json.dumps(content)}, {why})")
        usage = payload.get("usage") if isinstance(payload.get("usage"), dict) else {}
        tokens = usage.get("completion_tokens")
        return GenerationResult(
            text=content, finish_reason=finish, output_tokens=tokens if isinstance(tokens, int) else None
        )

    def _load_image(self, item: Any, images_in_row: int) -> Any:
        return load_image(item, min_pixels=self.min_pixels, max_pixels=self.max_pixels)

    def _payload(self, row: PreparedRow) -> list[dict]:
        return self._api_messages(row)

    def generate_prepared(self, rows: list[PreparedRow], json_schema: dict | None = None) -> list[GenerationResult]:
        """Send the prepared rows concurrently (``max_workers``); one result per row, in order.

        ``json_schema``: ask for answers in that JSON Schema (``response_format``).
        """
        if not rows:
            return []
        _ = self.client  # fail before any request when the key is missing
        from tqdm.auto import tqdm

        results: list[GenerationResult] = [failed(r.error, True) if r.error else None for r in rows]  # type: ignore[misc]
        todo = [i for i, r in enumerate(rows) if r.error is None]
        with ThreadPoolExecutor(max_workers=self.max_workers, thread_name_prefix="dataflow-api") as pool, tqdm(
            total=len(todo), desc="api", unit="row", disable=not self.show_progress or not todo
        ) as bar:
            futures = {i: pool.submit(self._call, rows[i], json_schema) for i in todo}
            for i, future in futures.items():
                results[i] = future.result()
                bar.update(1)
        return results
