"""PromptedVQAGenerator: a VLM answers each row's conversation about the row's images."""

from __future__ import annotations

import json
import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Sequence

from dataflow.core.operator import OperatorABC, require_columns
from dataflow.core.serving import DEFAULT_SYSTEM_PROMPT, GenerationResult
from dataflow.errors import InputDataError
from dataflow.utils.checkpoint import PartialResults
from dataflow.utils.fingerprint import fingerprint, frame_fingerprint
from dataflow.utils.fs import atomic_write_bytes
from dataflow.utils.media import resolve_media_cell
from dataflow.utils.registry import OPERATOR_REGISTRY

logger = logging.getLogger(__name__)

FORCE_ENV = "DATAFLOW_FORCE_RECOMPUTE"
PROGRESS_ENV = "DATAFLOW_PROGRESS"
DEFAULT_CHUNK_SIZE = 256


def _env_flag(name: str) -> bool | None:
    value = os.environ.get(name)
    if value is None:
        return None
    return value.strip().lower() not in ("", "0", "false", "no", "off")


@OPERATOR_REGISTRY.register()
class PromptedVQAGenerator(OperatorABC):
    """Generate an answer per row from its conversation (or prompt) and images, with any serving.

    Args:
        serving: any ``VLMServingABC`` (vLLM, transformers, API, or your own).
        system_prompt: the system turn added to every conversation that has none.
        prompt_template: replaces the text of each conversation's first human turn: a string, or
            an object with ``build_prompt()`` (upstream's prompt classes).
        chunk_size: rows per serving call; each finished chunk is saved durably (see ``run``).
        force_recompute: ignore cached and partial results (also: ``DATAFLOW_FORCE_RECOMPUTE=1``).
        show_progress: a progress bar over rows (also: ``DATAFLOW_PROGRESS=0`` turns it off).

    Input columns:
        ``input_conversation_key``: upstream's ``[{"from": "human", "value": ...}]`` or OpenAI-style
        turns; or ``input_prompt_key``: plain prompt text (then the conversation column is not read).
        ``input_image_key``: a path, a list of paths, an empty list or null (relative paths: see
        ``dataflow.utils.media``).
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
        conversation = row.get(conversation_key)
        if template is not None and isinstance(conversation, list) and conversation:
            conversation = [dict(turn) if isinstance(turn, dict) else turn for turn in conversation]
            for turn in conversation:
                if isinstance(turn, dict) and (turn.get("from") in ("human", "user") or turn.get("role") == "user"):
                    turn["value" if "value" in turn or "from" in turn else "content"] = template
                    break
        return conversation

    def _make_chunk(self, rows: Sequence[dict], keys: dict, media_root: str | None) -> "_Chunk":
        """Build each row's request; with a serving that splits preparation off, load its images too.

        This is CPU work (image decoding) that ``run`` does for the next chunk while the engine
        generates the current one.
        """
        template = self._template_text()
        chunk = _Chunk(len(rows))
        for i, row in enumerate(rows):
            try:
                image_cell = resolve_media_cell(row.get(keys["image"]), media_root) if keys["image"] else []
                video_cell = resolve_media_cell(row.get(keys["video"]), media_root) if keys["video"] else []
            except ValueError as err:
                chunk.results[i] = GenerationResult(error=str(err))
                continue
            chunk.conversations.append(self._conversation(row, keys["conversation"], keys["prompt"], template))
            chunk.images.append(image_cell)
            chunk.videos.append(video_cell)
            chunk.where.append(i)
        if chunk.where and hasattr(self.serving, "prepare") and hasattr(self.serving, "generate_prepared"):
            chunk.prepared = self.serving.prepare(
                chunk.conversations, chunk.images, chunk.video_arg(), None, self.system_prompt
            )
        return chunk

    def _serve_chunk(self, chunk: "_Chunk") -> list[GenerationResult]:
        """Run the serving on a built chunk; one result per row, in order."""
        if chunk.where:
            if chunk.prepared is not None:
                served = self.serving.generate_prepared(chunk.prepared)
            elif hasattr(self.serving, "generate_results"):
                served = self.serving.generate_results(
                    chunk.conversations, image_list=chunk.images, video_list=chunk.video_arg(),
                    system_prompt=self.system_prompt,
                )
            else:  # a bare upstream-style serving
                answers = self.serving.generate_from_input_messages(
                    chunk.conversations, image_list=chunk.images, video_list=chunk.video_arg(),
                    system_prompt=self.system_prompt,
                )
                served = [GenerationResult(text=a if isinstance(a, str) else "") for a in answers]
            if len(served) != len(chunk.where):
                raise RuntimeError(f"the serving returned {len(served)} answers for {len(chunk.where)} conversations")
            for i, result in zip(chunk.where, served):
                chunk.results[i] = result
        return chunk.results  # type: ignore[return-value]

    def _generate(self, rows: Sequence[dict], keys: dict, media_root: str | None) -> list[GenerationResult]:
        """Serve ``rows`` (dicts) and return one result per row, in order."""
        return self._serve_chunk(self._make_chunk(rows, keys, media_root))

    def _keys(self, frame: Any, input_conversation_key, input_prompt_key, input_image_key, input_video_key) -> dict:
        if input_prompt_key is None and input_conversation_key is None:
            raise InputDataError("PromptedVQAGenerator: give input_conversation_key or input_prompt_key")
        keys = {
            "conversation": None if input_prompt_key is not None else input_conversation_key,
            "prompt": input_prompt_key,
            "image": input_image_key,
            "video": input_video_key,
        }
        require_columns(frame, keys.values(), type(self).__name__)
        return keys

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

        Progress is saved durably in chunks of ``chunk_size`` rows to ``<next step file>.partial.jsonl``:
        a crash, Ctrl-C or ``kill -9`` loses at most the chunk in flight, and running the same
        pipeline again resumes where it stopped, sending only unfinished rows to the model. When the
        input data, the operator's arguments and the serving's model and sampling settings are all
        unchanged, a finished step is reused without calling the model (``<step file>.meta.json``
        records what it was made from). ``force_recompute=True`` or ``DATAFLOW_FORCE_RECOMPUTE=1``
        recomputes.
        """
        started = time.perf_counter()
        frame = storage.read("dataframe")
        keys = self._keys(frame, input_conversation_key, input_prompt_key, input_image_key, input_video_key)
        out_path = Path(storage.write_path) if hasattr(storage, "write_path") else None
        media_root = getattr(storage, "media_root", None)
        key = fingerprint(
            {
                "operator": type(self).__name__,
                "version": 1,
                "data": frame_fingerprint(frame),
                "keys": keys,
                "output": output_answer_key,
                "system_prompt": self.system_prompt,
                "prompt_template": self._template_text(),
                "serving": self.serving.fingerprint() if hasattr(self.serving, "fingerprint") else type(self.serving).__name__,
            }
        )
        force = self.force_recompute or bool(_env_flag(FORCE_ENV))
        total = len(frame)
        if out_path is not None and not force and self._cached(out_path, key, total):
            logger.info(
                "PromptedVQAGenerator: reused the cached result %s (inputs and settings unchanged; "
                "set %s=1 to recompute). rows %d, sent to the model 0", out_path, FORCE_ENV, total,
            )
            return output_answer_key

        records = frame.to_dict(orient="records")
        done: dict[int, dict] = {}
        partial = None
        if out_path is not None:
            partial = PartialResults(str(out_path) + ".partial.jsonl", key, total)
            done = {} if force else partial.load()
            partial.open(resume=bool(done))
        reused = len(done)
        todo = [i for i in range(total) if i not in done]
        if reused:
            logger.info("PromptedVQAGenerator: resuming, %d of %d rows already done", reused, total)
        sent = tokens = 0
        show = self.show_progress and _env_flag(PROGRESS_ENV) is not False
        from tqdm.auto import tqdm

        bar = tqdm(total=total, initial=reused, desc="PromptedVQAGenerator", unit="row", disable=not show)
        # A small first chunk gets the engine going while the next chunk's images load.
        first = min(self.chunk_size, max(8, self.chunk_size // 8))
        chunks = [todo[:first]] + [todo[s : s + self.chunk_size] for s in range(first, len(todo), self.chunk_size)]
        chunks = [c for c in chunks if c]
        # One helper thread builds (loads the images of) chunk k+1 while the engine runs chunk k.
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dataflow-prefetch")

        def build(k: int) -> Any:
            return pool.submit(self._make_chunk, [records[i] for i in chunks[k]], keys, media_root)

        try:
            upcoming = build(0) if chunks else None
            for k, chunk in enumerate(chunks):
                built = upcoming.result()
                upcoming = build(k + 1) if k + 1 < len(chunks) else None
                results = self._serve_chunk(built)
                rows = [{"i": i, "text": r.text, "error": r.error, "tokens": r.output_tokens} for i, r in zip(chunk, results)]
                if partial is not None:
                    partial.append(rows)
                for row in rows:
                    done[row["i"]] = row
                sent += len(chunk)
                tokens += sum(r.output_tokens or 0 for r in results)
                bar.update(len(chunk))
        except BaseException as err:  # Ctrl-C, or the engine died: say what is kept, then stop
            bar.close()
            if partial is not None:
                partial.close()
                logger.warning(
                    "%s: %d of %d rows are saved in %s; run the same command again to resume.",
                    "Interrupted" if isinstance(err, KeyboardInterrupt) else f"Stopped by {type(err).__name__}",
                    len(done), total, partial.path,
                )
            raise
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
        bar.close()

        out = frame.copy()
        out[output_answer_key] = [done[i]["text"] for i in range(total)]
        out[f"{output_answer_key}_error"] = [done[i]["error"] for i in range(total)]
        path = storage.write(out)
        if out_path is not None:
            atomic_write_bytes(str(out_path) + ".meta.json", json.dumps({"fingerprint": key, "rows": total}).encode())
        if partial is not None:
            partial.remove()
        seconds = time.perf_counter() - started
        all_failed = sum(1 for i in range(total) if done[i]["error"])
        rate = f", {tokens / seconds:.1f} output tok/s" if tokens else ""
        logger.info(
            "PromptedVQAGenerator: rows %d, done %d, failed %d, reused %d, sent to the model %d, %.1fs%s -> %s",
            total, total - all_failed, all_failed, reused, sent, seconds, rate, path,
        )
        return output_answer_key

    @staticmethod
    def _cached(out_path: Path, key: str, total: int) -> bool:
        meta = Path(str(out_path) + ".meta.json")
        if not (out_path.exists() and meta.exists()):
            return False
        try:
            data = json.loads(meta.read_text())
        except ValueError:
            return False
        return data.get("fingerprint") == key and data.get("rows") == total


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
