"""The serving contracts: what operators may ask of a model backend."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, Sequence

DEFAULT_SYSTEM_PROMPT = "You are a helpful assistant."


@dataclass(frozen=True)
class ServingCapabilities:
    """What a serving can do beyond upstream's ``generate_from_input_messages``, declared, not probed.

    Attributes:
        results: ``generate_results(...)`` gives a ``GenerationResult`` per row (errors, token counts).
        json_schema: ``generate_results`` and ``generate_prepared`` take ``json_schema=`` (guided decoding).
        prepared: ``prepare(...)`` loads a batch's images apart from ``generate_prepared(rows)``, so the
            next batch can be prepared while the engine works.
        stream: ``open_stream(json_schema=, images_per_prompt=)`` takes rows while the engine runs.
    """

    results: bool = False
    json_schema: bool = False
    prepared: bool = False
    stream: bool = False


def capabilities_of(serving: Any) -> ServingCapabilities:
    """A serving's declared capabilities; a serving written against upstream's contract has none."""
    declared = getattr(serving, "capabilities", None)
    return declared if isinstance(declared, ServingCapabilities) else ServingCapabilities()


def serving_fingerprint(serving: Any) -> Any:
    """What identifies a serving's outputs (model, sampling), for cache keys; its class for others."""
    if isinstance(serving, VLMServingABC):
        return serving.fingerprint()
    return type(serving).__name__


@dataclass
class GenerationResult:
    """One row's outcome from a serving.

    ``text`` is the model's answer ("" when the row failed); ``error`` is ``None`` on success and
    a message a person can act on when the row failed. A failed row never carries an error string
    in ``text``, so later operators cannot mistake it for model output. ``before_model`` is True
    when the row failed on its input (a missing image, a bad conversation) and never reached the
    model.
    """

    text: str = ""
    error: str | None = None
    finish_reason: str | None = None
    output_tokens: int | None = None
    before_model: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None


def serve_conversations(
    serving: Any,
    conversations: Sequence[Any],
    image_list: Sequence[Any] | None = None,
    video_list: Sequence[Any] | None = None,
    system_prompt: str = DEFAULT_SYSTEM_PROMPT,
    json_schema: dict | None = None,
) -> list[GenerationResult]:
    """One ``GenerationResult`` per conversation from any serving, ours or a bare upstream-style one.

    ``json_schema`` (guided decoding) is passed on only to servings that declare they take it;
    the caller checks every answer either way.

    Operators call this rather than a particular backend: a serving declaring ``results`` gives
    per-row errors and token counts; one with only upstream's ``generate_from_input_messages`` gives
    texts, wrapped here.
    """
    if not conversations:
        return []
    capabilities = capabilities_of(serving)
    if capabilities.results:
        extra = {"json_schema": json_schema} if json_schema is not None and capabilities.json_schema else {}
        served = serving.generate_results(
            conversations, image_list=image_list, video_list=video_list, system_prompt=system_prompt, **extra
        )
    else:
        answers = serving.generate_from_input_messages(
            conversations, image_list=image_list, video_list=video_list, system_prompt=system_prompt
        )
        served = [GenerationResult(text=a if isinstance(a, str) else "") for a in answers]
    if len(served) != len(conversations):
        raise RuntimeError(f"the serving returned {len(served)} answers for {len(conversations)} conversations")
    return list(served)


def check_json_answer(result: GenerationResult, schema: dict) -> GenerationResult:
    """``result`` when its text is JSON matching ``schema``; otherwise a failed result saying why.

    An answer cut off by the token limit is incomplete JSON: its reason says so and how to fix it.
    """
    if result.error is not None:
        return result
    import json

    def fail(reason: str) -> GenerationResult:
        return GenerationResult(error=reason, finish_reason=result.finish_reason, output_tokens=result.output_tokens)

    try:
        value = json.loads(result.text)
    except ValueError as err:
        if result.finish_reason == "length":
            return fail("truncated at max_tokens: the JSON answer was cut off; raise max_tokens (vllm_max_tokens)")
        return fail(f"the answer is not valid JSON ({err})")
    try:
        import jsonschema
    except ImportError:  # pragma: no cover - jsonschema comes with vLLM and Ray
        return result
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(schema).iter_errors(value))
    if error is not None:
        where = "/".join(map(str, error.absolute_path)) or "(root)"
        return fail(f"the JSON answer does not match the schema at {where}: {error.message[:200]}")
    return result


class LLMServingABC(ABC):
    """A text model backend."""

    @abstractmethod
    def generate_from_input(self, user_inputs: list[str], system_prompt: str = DEFAULT_SYSTEM_PROMPT) -> list[str]:
        """One answer per input, in order."""

    @abstractmethod
    def cleanup(self) -> None:
        """Free the engine (GPU memory, worker processes)."""

    def load_model(self, *args: Any, **kwargs: Any) -> None:  # noqa: B027 - optional hook
        """Load the engine now rather than on first use (optional)."""

    def preflight(self) -> list[str]:
        """Problems that would stop this serving once used, found in seconds without loading a model.

        ``PipelineABC.compile()`` calls it: a missing model folder, a hub model that is not cached
        while the hub is offline, an API key that is not set. Nothing is downloaded or loaded.
        """
        return []


class VLMServingABC(LLMServingABC):
    """A vision-language model backend.

    Conversations are upstream's ``[{"from": "human"|"gpt", "value": ...}]`` lists or OpenAI-style
    ``[{"role": ..., "content": ...}]`` lists; ``image_list[i]`` holds the media of conversation ``i``.
    ``capabilities`` declares what it can do beyond that (``ServingCapabilities``).
    """

    capabilities = ServingCapabilities(results=True)

    @abstractmethod
    def generate_from_input_messages(
        self,
        conversations: Sequence[list[dict]],
        image_list: Sequence[Sequence[Any] | None] | None = None,
        video_list: Sequence[Sequence[Any] | None] | None = None,
        audio_list: Sequence[Sequence[Any] | None] | None = None,
        system_prompt: str = DEFAULT_SYSTEM_PROMPT,
    ) -> list[str]:
        """One answer per conversation, in order ("" for a row that failed)."""

    def generate_results(
        self,
        conversations: Sequence[list[dict]],
        image_list: Sequence[Sequence[Any] | None] | None = None,
        video_list: Sequence[Sequence[Any] | None] | None = None,
        audio_list: Sequence[Sequence[Any] | None] | None = None,
        system_prompt: str = DEFAULT_SYSTEM_PROMPT,
    ) -> list[GenerationResult]:
        """Like ``generate_from_input_messages`` but with per-row errors and token counts.

        Backends override this; the default wraps ``generate_from_input_messages`` so a serving
        written against upstream's contract still works with every operator.
        """
        answers = self.generate_from_input_messages(
            conversations,
            image_list=image_list,
            video_list=video_list,
            audio_list=audio_list,
            system_prompt=system_prompt,
        )
        return [GenerationResult(text=a if isinstance(a, str) else "") for a in answers]

    def fingerprint(self) -> dict[str, Any]:
        """What identifies this serving's outputs (model, sampling); used to decide cache reuse."""
        return {"class": type(self).__name__}
