"""PromptedVQAGenerator: a VLM answers each row's conversation about the row's images."""

from __future__ import annotations

import logging
import time
from typing import Any, Sequence

from dataflow.core.operator import OperatorIO, require_columns
from dataflow.core.serving import (
    DEFAULT_SYSTEM_PROMPT,
    GenerationResult,
    capabilities_of,
    check_json_answer,
    serve_conversations,
)
from dataflow.errors import InputDataError
from dataflow.step.durable import DurableStep, RowBatcher
from dataflow.step.operator import ModelOperator, StepIdentity, pace, require_step_columns
from dataflow.storage.media import MediaResolver
from dataflow.core.registry import OPERATOR_REGISTRY

logger = logging.getLogger(__name__)

DEFAULT_CHUNK_SIZE = 256


@OPERATOR_REGISTRY.register()
class PromptedVQAGenerator(ModelOperator):
    """Generate an answer per row from its conversation (or prompt) and images, with any serving.

    Args:
        serving: any ``VLMServingABC`` (vLLM, transformers, API, or your own).
        system_prompt: the system turn added to every conversation that has none.
        prompt_template: replaces the text of each conversation's first human turn: a string, or
            an object with ``build_prompt()`` (upstream's prompt classes). With
            ``input_conversation_key=None`` (and no prompt column) every row is asked the template
            alone, with its images: for image datasets that have no text column.
        chunk_size: rows per serving call; each finished chunk is saved durably (see ``run``).
        force_recompute: ignore cached and partial results (also: ``DATAFLOW_FORCE_RECOMPUTE=1``).
        show_progress: a progress bar over rows (also: ``DATAFLOW_PROGRESS=0`` turns it off).
        hash_media: decide cache reuse by each image's contents (read once per run) rather than
            its size and modification time.
        stream: feed rows into the serving's engine continuously when it can take them while it
            runs (vLLM), journaling each row as it finishes; otherwise (or ``False``) one call per
            chunk.
        json_schema: a JSON Schema every answer must follow: passed to the serving (guided
            decoding on vLLM, transformers and OpenAI-compatible APIs) and checked on every answer;
            an answer cut off by the token limit or not matching fails its row with the reason.

    Input columns:
        ``input_conversation_key``: upstream's ``[{"from": "human", "value": ...}]`` or OpenAI-style
        turns; or ``input_prompt_key``: plain prompt text (then the conversation column is not read).
        ``input_image_key``: a path, a list of paths, an empty list or null (relative paths: see
        ``dataflow.storage.media``).
    Output columns:
        ``output_answer_key``: the model's text ("" when the row failed).
        ``{output_answer_key}_error``: null, or why the row failed (missing image, bad
        conversation, generation error, ...).

    Example:
        >>> gen = PromptedVQAGenerator(serving=LocalModelVLMServing_vllm("Qwen/Qwen2.5-VL-3B-Instruct"))
        >>> gen.run(storage.step(), input_conversation_key="conversation", input_image_key="image",
        ...         output_answer_key="vqa")
    """

    def __init__(
        self,
        serving: Any,
        system_prompt: str = DEFAULT_SYSTEM_PROMPT,
        prompt_template: Any = None,
        *,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        force_recompute: bool = False,
        show_progress: bool = True,
        hash_media: bool = False,
        json_schema: dict | None = None,
        stream: bool = True,
    ):
        if serving is None:
            raise ValueError("PromptedVQAGenerator needs a serving, e.g. LocalModelVLMServing_vllm(...)")
        if chunk_size < 1:
            raise ValueError(f"The 'chunk_size' parameter must be a positive int. Got {chunk_size!r} instead.")
        self.serving = serving
        self.system_prompt = system_prompt
        self.prompt_template = prompt_template
        self.chunk_size = chunk_size
        self.force_recompute = force_recompute
        self.show_progress = show_progress
        self.hash_media = hash_media
        if json_schema is not None and not isinstance(json_schema, dict):
            raise ValueError(f"The 'json_schema' parameter must be a JSON Schema dict or None. Got {type(json_schema).__name__}.")
        self.json_schema = json_schema
        self.stream = stream

    @staticmethod
    def get_desc(lang: str = "zh") -> str:
        if lang == "zh":
            return (
                "读取对话（或 prompt）与图像，调用视觉语言模型生成回答。\n"
                "输入：input_conversation_key / input_prompt_key、input_image_key；输出：output_answer_key 及其 _error 列。\n"
                "分块保存进度，支持断点续跑；单行错误不会中断整个任务。"
            )
        return (
            "Reads each row's conversation (or prompt) and images and has a vision-language model answer.\n"
            "Inputs: input_conversation_key / input_prompt_key, input_image_key; outputs: output_answer_key "
            "and its _error column. Saves progress in chunks and resumes; a bad row never stops the run."
        )

    # -- building requests -------------------------------------------------------------------
    def _template_text(self) -> str | None:
        template = self.prompt_template
        if template is None:
            return None
        if isinstance(template, str):
            return template
        if hasattr(template, "build_prompt"):
            return template.build_prompt()
        raise TypeError("prompt_template must be a string or have a build_prompt() method")

    def _conversation(self, row: dict, conversation_key: str | None, prompt_key: str | None, template: str | None) -> Any:
        if prompt_key is not None:
            prompt = row.get(prompt_key)
            return None if prompt is None else [{"from": "human", "value": prompt}]
        if conversation_key is None:  # no text column: every row is asked the template with its images
            return [{"from": "human", "value": template}]
        conversation = row.get(conversation_key)
        if template is not None and isinstance(conversation, list) and conversation:
            conversation = [dict(turn) if isinstance(turn, dict) else turn for turn in conversation]
            for turn in conversation:
                if isinstance(turn, dict) and (turn.get("from") in ("human", "user") or turn.get("role") == "user"):
                    turn["value" if "value" in turn or "from" in turn else "content"] = template
                    break
        return conversation

    def _make_chunk(self, rows: Sequence[dict], keys: dict, media: MediaResolver) -> "_Chunk":
        """Build each row's request; with a serving that splits preparation off, load its images too.

        This is CPU work (image decoding) that ``run`` does for the next chunk while the engine
        generates the current one.
        """
        template = self._template_text()
        chunk = _Chunk(len(rows))
        for i, row in enumerate(rows):
            try:
                image_cell = media.cell(row.get(keys["image"])) if keys["image"] else []
                video_cell = media.cell(row.get(keys["video"])) if keys["video"] else []
            except ValueError as err:
                chunk.results[i] = GenerationResult(error=str(err), before_model=True)
                continue
            chunk.conversations.append(self._conversation(row, keys["conversation"], keys["prompt"], template))
            chunk.images.append(image_cell)
            chunk.videos.append(video_cell)
            chunk.where.append(i)
        if chunk.where and capabilities_of(self.serving).prepared:
            chunk.prepared = self.serving.prepare(
                chunk.conversations, chunk.images, chunk.video_arg(), None, self.system_prompt
            )
        return chunk

    def _serve_chunk(self, chunk: "_Chunk") -> list[GenerationResult]:
        """Run the serving on a built chunk; one result per row, in order."""
        if chunk.where:
            if chunk.prepared is not None:
                served = self.serving.generate_prepared(chunk.prepared, self.json_schema)
            else:
                served = serve_conversations(
                    self.serving, chunk.conversations, chunk.images, chunk.video_arg(), self.system_prompt,
                    self.json_schema,
                )
            if self.json_schema is not None:
                served = [check_json_answer(r, self.json_schema) for r in served]
            if len(served) != len(chunk.where):
                raise RuntimeError(f"the serving returned {len(served)} answers for {len(chunk.where)} conversations")
            for i, result in zip(chunk.where, served):
                chunk.results[i] = result
        return chunk.results  # type: ignore[return-value]

    def _generate(self, rows: Sequence[dict], keys: dict, media_root: str | None) -> list[GenerationResult]:
        """Serve ``rows`` (dicts) and return one result per row, in order."""
        return self._serve_chunk(self._make_chunk(rows, keys, MediaResolver(media_root)))

    def _stream(self, most_images: int) -> Any:
        """A continuous feed into the serving's engine, when it has one (vLLM); None: chunked calls."""
        if not (self.stream and capabilities_of(self.serving).stream):
            return None
        session = self.serving.open_stream(json_schema=self.json_schema, images_per_prompt=most_images)
        return _GeneratorStream(session, self.json_schema)

    def _key_map(self, input_conversation_key, input_prompt_key, input_image_key, input_video_key) -> dict:
        if input_prompt_key is None and input_conversation_key is None and self.prompt_template is None:
            raise InputDataError(
                "PromptedVQAGenerator: give input_conversation_key or input_prompt_key (or a prompt_template, "
                "which every row is then asked with its images)"
            )
        return {
            "conversation": None if input_prompt_key is not None else input_conversation_key,
            "prompt": input_prompt_key,
            "image": input_image_key,
            "video": input_video_key,
        }

    def _keys(self, frame: Any, *key_args: str | None) -> dict:
        keys = self._key_map(*key_args)
        require_columns(frame, keys.values(), type(self).__name__)
        return keys

    def step_identity(self, run_kwargs: dict) -> StepIdentity:
        """Keyed on what is sent to the model (keys, prompts, schema, the serving's model and sampling),
        not on the code: an upgrade that sends the same requests reuses the step."""
        keys = self.bind_keys(run_kwargs)
        key_args = [keys[k] for k in _RUN_KEYS[:4]]
        settings = self.step_settings({"keys": self._key_map(*key_args), "output": keys["output_answer_key"]})
        media = [c for c in (keys["input_image_key"], keys["input_video_key"]) if c is not None]
        return StepIdentity(settings, media, self.hash_media, None)

    def io_keys(self, **run_kwargs: Any) -> OperatorIO:
        """As the base class says, except that a prompt column replaces the conversation column."""
        io = super().io_keys(**run_kwargs)
        if "input_prompt_key" in io.reads:
            io.reads.pop("input_conversation_key", None)
        return io

    # -- storage-free batch work -----------------------------------------------------------------
    def process(
        self,
        frame: Any,
        input_conversation_key: str | None = "conversation",
        input_prompt_key: str | None = None,
        input_image_key: str | None = None,
        input_video_key: str | None = None,
        output_answer_key: str = "answer",
        media_root: str | None = None,
    ) -> Any:
        """Return a copy of ``frame`` with the answer and ``_error`` columns (no checkpointing)."""
        keys = self._keys(frame, input_conversation_key, input_prompt_key, input_image_key, input_video_key)
        results = self._generate(frame.to_dict(orient="records"), keys, media_root)
        out = frame.copy()
        out[output_answer_key] = [r.text for r in results]
        out[f"{output_answer_key}_error"] = [r.error for r in results]
        return out

    # -- storage-backed, resumable run ---------------------------------------------------------------
    def run(
        self,
        storage: Any,
        input_conversation_key: str | None = "conversation",
        input_prompt_key: str | None = None,
        input_image_key: str | None = None,
        input_video_key: str | None = None,
        output_answer_key: str = "answer",
    ) -> str:
        """Read the current step, answer every row, write the next step; returns ``output_answer_key``.

        Runs through ``dataflow.step.durable.DurableStep``: progress is journaled in chunks of
        ``chunk_size`` rows to ``<next step file>.partial.jsonl``, so a crash, Ctrl-C or ``kill -9``
        loses at most the chunk in flight and the same command resumes; a finished step whose
        input data (images included), arguments and serving settings are unchanged is reused
        without calling the model; a second run on the same step file is refused.
        ``force_recompute=True`` or ``DATAFLOW_FORCE_RECOMPUTE=1`` recomputes.
        """
        started = time.perf_counter()
        key_args = (input_conversation_key, input_prompt_key, input_image_key, input_video_key)
        identity = self.step_identity(dict(zip(_RUN_KEYS, (*key_args, output_answer_key))))
        step = DurableStep(
            storage, type(self).__name__, identity.settings, force=self.force_recompute,
            media_columns=identity.media_columns, hash_media=self.hash_media,
        )
        with step:
            keys = self._key_map(*key_args)
            require_step_columns(step, keys.values(), type(self).__name__)
            most = _MostImages(keys["image"])
            step.scan(observe=most)  # the media files' stamps are in the key: reuse needs the whole input
            if step.reuse():
                logger.info(
                    "PromptedVQAGenerator: rows %d, reused %d, sent to the model 0 -> %s",
                    step.rows, step.rows, step.out_path,
                )
                return output_answer_key
            media = MediaResolver(step.media_root)
            startup_before = getattr(self.serving, "startup_seconds", 0.0)
            tally = _Tally(output_answer_key)

            def serve(chunk: _Chunk) -> list[dict]:
                return [_journal_row(r) for r in self._serve_chunk(chunk)]

            with step.writer() as writer:
                batch = RowBatcher(writer.write)

                def emit(index: int, record: dict, row: dict, fresh: bool) -> None:
                    tally.add(index, record, row, fresh)
                    batch.add({**record, output_answer_key: row["text"], f"{output_answer_key}_error": row["error"]})

                step.map_rows(
                    serve, _JOURNAL_SCHEMA, prepare=lambda records: self._make_chunk(records, keys, media),
                    chunk_size=self.chunk_size, show_progress=self.show_progress,
                    stream=self._stream(most.most), emit=emit,
                )
                batch.flush()
                path = step.commit(writer)
        self._log_summary(tally, step, time.perf_counter() - started, startup_before, output_answer_key, path)
        return output_answer_key

    def _log_summary(self, tally: "_Tally", step: DurableStep, seconds: float, startup_before: float,
                     output_answer_key: str, path: str) -> None:
        """One honest line: where rows failed, engine start-up apart from generation, tok/s over generation."""
        stats = step.stats
        startup = max(0.0, getattr(self.serving, "startup_seconds", 0.0) - startup_before)
        generating = max(0.0, stats.compute_seconds - startup)
        timing = f"{seconds:.1f}s"
        if startup:
            timing += f" (engine start-up {startup:.1f}s, generation {generating:.1f}s)"
        if tally.tokens and generating:
            timing += f", {tally.tokens / generating:.1f} output tok/s"
        logger.info(
            "PromptedVQAGenerator: rows %d, done %d, failed %d (%d before the model, %d by the model), "
            "reused %d, sent to the model %d, %s, %s -> %s",
            stats.total, stats.total - tally.failed, tally.failed, tally.before, tally.failed - tally.before,
            stats.reused, tally.sent, timing, pace(stats.total, seconds), path,
        )
        if tally.failed:
            shown = "; ".join(tally.shown)
            more = f"; and {tally.failed - len(tally.shown)} more" if tally.failed > len(tally.shown) else ""
            logger.warning(
                "PromptedVQAGenerator: failed rows: %s%s (every reason is in the '%s_error' column)",
                shown, more, output_answer_key,
            )


class _MostImages:
    """The most images any row brings (the engine is sized for it), counted while the input is scanned."""

    def __init__(self, column: str | None):
        self.column = column
        self.most = 1

    def __call__(self, records: list[dict]) -> None:
        if self.column is None:
            return
        from dataflow.storage.media import media_cell_to_list

        for record in records:
            try:
                self.most = max(self.most, len(media_cell_to_list(record.get(self.column))))
            except ValueError:
                pass


class _Tally:
    """The summary line's figures, counted as rows are written (no row is kept for it)."""

    def __init__(self, output_key: str):
        self.failed = self.before = self.tokens = self.sent = 0
        self.shown: list[str] = []

    def add(self, index: int, record: dict, row: dict, fresh: bool) -> None:
        if row["error"]:
            self.failed += 1
            self.before += bool(row["pre"])
            if len(self.shown) < _SHOW_FAILED:
                where = f" (id {record['id']!r})" if "id" in record else ""
                self.shown.append(f"row {index}{where}: {row['error']}")
        if fresh:
            self.tokens += row["tokens"] or 0
            self.sent += not row["pre"]


_SHOW_FAILED = 5
_RUN_KEYS = ("input_conversation_key", "input_prompt_key", "input_image_key", "input_video_key", "output_answer_key")
_JOURNAL_SCHEMA = {"text": str, "error": (str, None), "tokens": (int, None), "pre": bool}


class _Chunk:
    """The rows of one serving call: their requests, and results known before serving (bad cells)."""

    def __init__(self, n: int):
        self.results: list[GenerationResult | None] = [None] * n
        self.conversations: list[Any] = []
        self.images: list[list[str]] = []
        self.videos: list[list[str]] = []
        self.where: list[int] = []
        self.prepared: Any = None

    def video_arg(self) -> list[list[str]] | None:
        return self.videos if any(self.videos) else None


class _GeneratorStream:
    """``DurableStep.map_rows``'s stream over a serving's engine session: chunks in, journal rows out."""

    def __init__(self, session: Any, json_schema: dict | None):
        self.session = session
        self.json_schema = json_schema
        self._ready: dict[int, dict] = {}

    @property
    def pending(self) -> int:
        return self.session.pending + len(self._ready)

    def submit(self, indices: list[int], chunk: "_Chunk") -> None:
        for j, result in enumerate(chunk.results):
            if result is not None:  # failed on its cells, before the model
                self._ready[indices[j]] = _journal_row(result)
        if chunk.where:
            self.session.submit([indices[j] for j in chunk.where], chunk.prepared)

    def poll(self) -> dict[int, dict]:
        finished, self._ready = self._ready, {}
        for index, result in self.session.poll():
            if self.json_schema is not None:
                result = check_json_answer(result, self.json_schema)
            finished[index] = _journal_row(result)
        return finished

    def close(self) -> None:
        self.session.close()


def _journal_row(result: GenerationResult) -> dict:
    return {"text": result.text, "error": result.error, "tokens": result.output_tokens, "pre": bool(result.before_model)}
