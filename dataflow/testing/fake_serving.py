"""A fast, deterministic serving for tests, fault scripts and benchmarks of the machinery around a model.

It is not a test of any model backend: it answers ``"answer to <first human text>"`` for each
conversation, optionally after a delay per call, and can append the texts it served to a log file
(one line each, flushed) so a test can count exactly what reached "the model" across processes.
"""

from __future__ import annotations

import os
import time
from typing import Any, Sequence

from dataflow.core.serving import DEFAULT_SYSTEM_PROMPT, GenerationResult, VLMServingABC
from dataflow.storage.media import is_url


def _first_text(conversation: Any) -> str | None:
    if not isinstance(conversation, list):
        return None
    for turn in conversation:
        if isinstance(turn, dict):
            value = turn.get("value", turn.get("content"))
            if isinstance(value, str):
                return value
    return None


def _embedded_problem(item: Any) -> str | None:
    """Why an embedded image (bytes, a ``data:`` URI) does not decode, as a real serving would say;
    None for paths and URLs (paths are checked apart, URLs not fetched)."""
    if not (isinstance(item, bytes) or isinstance(item, str) and item.startswith("data:")):
        return None
    from dataflow.io.images import ImageLoadError, load_image

    try:
        load_image(item, max_pixels=None)
    except ImageLoadError as err:
        return str(err)
    return None


class EchoServing(VLMServingABC):
    """Answers ``"answer to <text>"``; a row whose image file is missing fails with that reason.

    Args:
        delay: seconds to sleep per call (a slow model, for kill tests).
        log_path: append each served text to this file, one per line.
        model: part of the fingerprint (a "different model" for cache tests).
    """

    def __init__(self, delay: float = 0.0, log_path: str | None = None, model: str = "echo"):
        self.delay = delay
        self.log_path = log_path
        self.model = model
        self._exists: dict[str, bool] = {}

    def generate_from_input(self, user_inputs: list[str], system_prompt: str = DEFAULT_SYSTEM_PROMPT) -> list[str]:
        return [f"answer to {text}" for text in user_inputs]

    def generate_from_input_messages(self, conversations, image_list=None, video_list=None, audio_list=None,
                                     system_prompt: str = DEFAULT_SYSTEM_PROMPT) -> list[str]:
        return [r.text for r in self.generate_results(conversations, image_list, video_list, audio_list, system_prompt)]

    def generate_results(
        self,
        conversations: Sequence[Any],
        image_list: Sequence[Any] | None = None,
        video_list: Sequence[Any] | None = None,
        audio_list: Sequence[Any] | None = None,
        system_prompt: str = DEFAULT_SYSTEM_PROMPT,
    ) -> list[GenerationResult]:
        if self.delay:
            time.sleep(self.delay)
        out = []
        for k, conversation in enumerate(conversations):
            images = (image_list[k] if image_list is not None else None) or []
            text = _first_text(conversation)
            missing = [p for p in images if isinstance(p, str) and not is_url(p) and not self._file_exists(p)]
            broken = next((why for why in map(_embedded_problem, images) if why), None)
            if text is None:
                out.append(GenerationResult(error="conversation has no text", before_model=True))
            elif missing:
                out.append(GenerationResult(error=f"image file not found: {missing[0]}", before_model=True))
            elif broken:
                out.append(GenerationResult(error=broken, before_model=True))
            else:
                out.append(GenerationResult(text=f"answer to {text}", finish_reason="stop", output_tokens=3))
        if self.log_path:
            served = "".join(f"{(_first_text(c) or '').replace(chr(10), ' ')}\n" for c in conversations)
            with open(self.log_path, "a", encoding="utf-8") as fh:
                fh.write(served)
                fh.flush()
        return out

    def _file_exists(self, path: str) -> bool:
        found = self._exists.get(path)
        if found is None:
            found = self._exists[path] = os.path.exists(path)
        return found

    def cleanup(self) -> None:
        pass

    def fingerprint(self) -> dict[str, Any]:
        return {"class": type(self).__name__, "model": self.model}
