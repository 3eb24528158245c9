"""Operators that write only ``process()``: ``run()`` comes from the base class.

``StepOperator`` gives an operator its ``run(storage, ...)``: a ``DurableStep`` (locks, verified
cache reuse, atomic write), the input columns checked, ``process(frame, ...)`` on the whole frame,
the step file written and one summary line logged. ``run()`` takes the arguments of ``process()``
(with their defaults): an operator declares its keys once.

``ModelOperator`` (for operators with a ``serving``) runs ``process()`` chunk by chunk instead, each
finished chunk journaled, so a crash, Ctrl-C or ``kill -9`` loses at most the chunk in flight and the
same command resumes; its ``serve()`` sends a column of prompts or conversations with their media to
the serving (relative media paths resolved as the storage says, a bad cell failing its row only).

The cache key is derived, never written by hand: the operator's class, its constructor arguments
(read from the ``__init__`` signature, scikit-learn's ``get_params`` idea), the serving's
fingerprint and the keys of the call. Arguments that do not change the output
(``run_only_params``) are left out.
"""

from __future__ import annotations

import inspect
import logging
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

from dataflow.core.operator import OperatorABC, require_columns
from dataflow.core.serving import (
    DEFAULT_SYSTEM_PROMPT,
    GenerationResult,
    check_json_answer,
    serve_conversations,
    serving_fingerprint,
)
from dataflow.errors import DataFlowError
from dataflow.step.durable import DurableStep, RowBatcher
from dataflow.step.fingerprint import code_fingerprint
from dataflow.storage.formats import frame_from_records, raw_records
from dataflow.storage.media import MediaResolver
from dataflow.utils.runtime import keep_freed_memory

logger = logging.getLogger(__name__)

_NOT_KEYS = ("self", "frame", "media_root")


@dataclass
class StepIdentity:
    """What a step's cache key is made of besides its input rows (see ``DurableStep``)."""

    settings: dict
    media_columns: list[str] = field(default_factory=list)
    hash_media: bool = False
    code: str | None = None


def stable_value(value: Any, depth: int = 0) -> Any:
    """``value`` as JSON-able data that is the same in every process (no ``repr`` with an address)."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, dict):
        return {str(k): stable_value(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [stable_value(v, depth + 1) for v in value]
        return sorted(items, key=repr) if isinstance(value, (set, frozenset)) else items
    if hasattr(value, "build_prompt"):  # upstream's prompt classes: what counts is the text
        return {"prompt": value.build_prompt()}
    if hasattr(value, "get_params") and depth < 4:
        return {"class": type(value).__qualname__, "params": stable_value(value.get_params(), depth + 1)}
    if depth < 4 and hasattr(value, "__dict__"):
        public = {k: v for k, v in vars(value).items() if not k.startswith("_")}
        return {"class": type(value).__qualname__, "attributes": stable_value(public, depth + 1)}
    return {"class": type(value).__qualname__}


class StepOperator(OperatorABC):
    """Base of operators that write only ``process(frame, ...)`` (see the module docstring).

    Class attributes to tune:
        run_only_params: constructor arguments that do not change the output (left out of the key).
        output_suffixes: columns written beside each output column (``"_error"``), for ``io_keys``.
    """

    run_only_params: tuple[str, ...] = ("force_recompute", "show_progress", "chunk_size", "stream", "hash_media")
    media_root: str | None = None  # where relative media paths resolve: set by run() from the storage

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "process" in cls.__dict__ and "run" not in cls.__dict__:
            cls.run = _derived_run(cls)

    def run(self, storage: Any, **keys: Any) -> Any:  # replaced per subclass by _derived_run
        return self.run_step(storage, keys)

    # -- parameters --------------------------------------------------------------------------------
    def get_params(self) -> dict[str, Any]:
        """The constructor's arguments as stored on the operator (each ``__init__`` argument must be
        kept as an attribute of the same name, so that nothing can be left out of the cache key)."""
        params = {}
        for name, parameter in inspect.signature(type(self).__init__).parameters.items():
            if name == "self" or parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
                continue
            if not hasattr(self, name):
                raise TypeError(
                    f"{type(self).__name__}.__init__ takes {name!r} but keeps no self.{name}: store every "
                    "constructor argument under its own name, so that the cache key can include it"
                )
            params[name] = getattr(self, name)
        return params

    def step_identity(self, run_kwargs: dict) -> StepIdentity:
        """What decides reuse of this operator's step for these ``run()`` arguments (defaults applied):
        single-machine runs and the Ray runner both key a step on it."""
        keys = self.bind_keys(run_kwargs)
        io = self.io_keys(**keys)
        model_free = getattr(self, "serving", None) is None
        return StepIdentity(self.step_settings(keys), [io.reads[a] for a in io.media],
                            bool(getattr(self, "hash_media", False)), code_fingerprint(type(self)) if model_free else None)

    def bind_keys(self, run_kwargs: dict) -> dict:
        """``run()``'s keyword arguments with its defaults applied."""
        bound = inspect.signature(self.run).bind_partial(**run_kwargs)
        bound.apply_defaults()
        return {k: v for k, v in bound.arguments.items() if k != "storage"}

    def step_settings(self, keys: dict) -> dict:
        """Everything besides the input data that decides this step's output: the cache key's settings."""
        params = {k: v for k, v in self.get_params().items() if k not in self.run_only_params and k != "serving"}
        settings = {"operator": f"{type(self).__module__}.{type(self).__qualname__}", "keys": keys,
                    "params": stable_value(params)}
        serving = getattr(self, "serving", None)
        if serving is not None:
            settings["serving"] = serving_fingerprint(serving)
        return settings

    # -- the step ----------------------------------------------------------------------------------
    streams = True  # process() gives each row's outputs from that row alone: the step runs chunk by chunk

    def run_step(self, storage: Any, keys: dict) -> Any:
        """``run()``'s work: ``keys`` are ``process()``'s keyword arguments, defaults applied.

        The input is read a chunk at a time and the output written as it comes (``streams``), so
        memory does not grow with the number of rows; an operator that compares rows across the
        whole input sets ``streams = False`` (or overrides ``produce``)."""
        started = time.perf_counter()
        keep_freed_memory()  # chunk after chunk, the same large buffers: reuse them (page faults cost)
        name = type(self).__name__
        io = self.io_keys(**keys)
        identity = self.step_identity(keys)
        step = DurableStep(
            storage, name, identity.settings, force=bool(getattr(self, "force_recompute", False)),
            media_columns=identity.media_columns, hash_media=identity.hash_media, code=identity.code,
        )
        with step:
            require_step_columns(step, io.reads.values(), name)
            if step.reuse():
                return _first_output(keys)
            self.media_root = step.media_root
            totals: Counter = Counter()
            writers = self.open_outputs(step, keys)
            try:
                def sink(records: list[dict]) -> None:
                    totals.update(self.tally(records, keys))
                    self.write_chunk(writers, records, keys)

                self.produce(step, keys, io.writes, sink)
                path = self.commit_outputs(step, writers)
            except BaseException:
                for writer in writers:
                    writer.abort()
                raise
        seconds = time.perf_counter() - started
        logger.info("%s: %s, %.2fs (%s) -> %s", name, self.describe(totals, keys), seconds,
                    pace(step.rows, seconds), path)
        return _first_output(keys)

    def produce(self, step: DurableStep, keys: dict, writes: list[str], sink: Callable[[list[dict]], None]) -> None:
        """Hand the step's output rows to ``sink``, a chunk at a time: ``process()`` on each chunk of the
        input (``streams``), or on the whole input (``compute_step``)."""
        if not (self.streams and step.streams):
            sink(raw_records(self.compute_step(step, keys, writes)))
            return
        for records in step.chunks(progress=self.progress_label()):
            sink(raw_records(self.process(chunk_frame(records, step.columns), **keys)))

    def progress_label(self, text: str = "") -> str | None:
        """The label after the operator's name on a progress bar of its rows (None: no bar); bars
        show when the operator has ``show_progress`` true, or no such setting."""
        return text if getattr(self, "show_progress", True) else None

    def compute_step(self, step: DurableStep, keys: dict, writes: list[str]) -> Any:
        """The step's output frame from the whole input (operators that do not stream)."""
        return self.process(step.frame, **keys)

    # -- the output ----------------------------------------------------------------------------------
    def open_outputs(self, step: DurableStep, keys: dict) -> list[Any]:
        """The writers of the step's files: the step file (quality operators add the rejected rows')."""
        return [step.writer()]

    def write_chunk(self, writers: list[Any], records: list[dict], keys: dict) -> None:
        writers[0].write(records)

    def commit_outputs(self, step: DurableStep, writers: list[Any]) -> str:
        """Put the files in place, the step file (and its meta record) last; returns its path."""
        for writer in writers[1:]:
            writer.close()
        return step.commit(writers[0])

    def write_step(self, step: DurableStep, out: Any, keys: dict) -> str:
        """Write a whole output frame as the step's files (what ``run()`` writes, in one go)."""
        writers = self.open_outputs(step, keys)
        self.write_chunk(writers, raw_records(out), keys)
        return self.commit_outputs(step, writers)

    # -- the summary line ----------------------------------------------------------------------------
    def tally(self, records: list[dict], keys: dict) -> Counter:
        """Counts over a chunk of output rows, summed over the step for ``describe``."""
        return Counter(rows=len(records))

    def describe(self, totals: Counter, keys: dict) -> str:
        """The figures of the summary line (after the operator's name), from the summed ``tally``."""
        return f"rows {totals['rows']}"


def require_step_columns(step: DurableStep, columns: Iterable[str | None], who: str) -> None:
    """``require_columns`` on a step's input columns (a step without rows needs none)."""
    import pandas as pd

    if step.has_rows:
        require_columns(pd.DataFrame(columns=step.head_columns(), index=range(1)), columns, who)


def chunk_frame(records: list[dict], columns: Sequence[str]) -> Any:
    """A chunk of rows as a DataFrame with every column of the step's input (null where a row has none)."""
    frame = frame_from_records(records)
    for column in columns:
        if column not in frame.columns:
            frame[column] = None
    return frame


def pace(rows: int, seconds: float) -> str:
    """"12,400 rows/s, peak RSS 0.41 GiB": a step's pace and the process's memory high-water mark."""
    return f"{rows / seconds if seconds else 0:,.0f} rows/s, peak RSS {peak_rss_gib():.2f} GiB"


def peak_rss_gib() -> float:
    """The process's peak resident memory so far, in GiB (0 where the OS does not say)."""
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return 0.0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1 << 30 if sys.platform == "darwin" else 1 << 20)


class ModelOperator(StepOperator):
    """Base of model-backed operators: ``self.serving``, ``process()`` journaled chunk by chunk, ``serve()``.

    ``process()`` must give each row's outputs from that row alone (so that chunks can be computed
    apart and resumed); its output columns are the ``output_*key`` arguments and their
    ``output_suffixes`` (``"_error"`` by default, for ``serve()``'s per-row errors).
    """

    output_suffixes = ("_error",)
    chunk_size = 64
    show_progress = True

    def produce(self, step: DurableStep, keys: dict, writes: list[str], sink: Callable[[list[dict]], None]) -> None:
        schema = {column: (object, None) for column in writes}

        def compute(records: list[dict]) -> list[dict]:
            out = self.process(chunk_frame(records, step.columns), **keys)
            missing = [c for c in writes if c not in out.columns]
            if missing:
                raise DataFlowError(
                    f"{type(self).__name__}.process() did not write {missing}; it writes the output keys and "
                    f"their output_suffixes {list(self.output_suffixes)}"
                )
            return raw_records(out[writes])

        batch = RowBatcher(sink)
        step.map_rows(compute, schema, chunk_size=self.chunk_size, show_progress=self.show_progress,
                      emit=lambda i, record, outputs, fresh: batch.add({**record, **outputs}))
        batch.flush()

    def describe(self, totals: Counter, keys: dict) -> str:
        return f"rows {totals['rows']}, failed {totals['failed']}"

    def tally(self, records: list[dict], keys: dict) -> Counter:
        errors = f"{_first_output(keys)}_error"
        return Counter(rows=len(records), failed=sum(1 for r in records if r.get(errors) is not None))

    def serve(
        self,
        prompts: Sequence[Any] | None = None,
        *,
        conversations: Sequence[Any] | None = None,
        images: Sequence[Any] | None = None,
        system_prompt: str | None = None,
        json_schema: dict | None = None,
    ) -> list[GenerationResult]:
        """One result per prompt (text) or conversation, in order, each with its row's ``images`` cell.

        Image cells may be a path, a list of paths or null; relative paths are looked up from the
        input file's folder (``dataflow.storage.media``). A bad cell or a failed generation is that
        row's ``error``, never an exception; ``json_schema`` constrains and checks every answer.
        """
        if (prompts is None) == (conversations is None):
            raise TypeError("serve() takes prompts= or conversations=, one of them")
        if conversations is None:
            conversations = [None if p is None else [{"role": "user", "content": str(p)}] for p in prompts]
        cells = list(images) if images is not None else [None] * len(conversations)
        results, media = resolve_rows(cells, MediaResolver(self.media_root))
        todo = [i for i, r in enumerate(results) if r is None]
        served = serve_conversations(
            self.serving, [conversations[i] for i in todo], [media[i] for i in todo] if images is not None else None,
            None, system_prompt or getattr(self, "system_prompt", None) or DEFAULT_SYSTEM_PROMPT, json_schema,
        )
        for i, result in zip(todo, served):
            results[i] = check_json_answer(result, json_schema) if json_schema is not None else result
        return results  # type: ignore[return-value]


def resolve_rows(cells: Sequence[Any], resolver: MediaResolver) -> tuple[list[GenerationResult | None], list[list[str]]]:
    """Each row's media cell as resolved paths; a cell that is not a path, a list of paths or null
    gives that row a failed result (``before_model``) instead."""
    results: list[GenerationResult | None] = [None] * len(cells)
    media: list[list[str]] = [[] for _ in cells]
    for i, cell in enumerate(cells):
        try:
            media[i] = resolver.cell(cell)
        except ValueError as err:
            results[i] = GenerationResult(error=str(err), before_model=True)
    return results, media


def _first_output(keys: dict) -> Any:
    return next((v for k, v in keys.items() if k.startswith("output_") and k.endswith("key")), None)


def _derived_run(cls: type) -> Any:
    """``run(self, storage, <process()'s keyword arguments>)`` for ``cls``, with that signature."""
    process = inspect.signature(cls.process)
    parameters = [p for n, p in process.parameters.items() if n not in _NOT_KEYS]
    signature = inspect.Signature(
        [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD),
         inspect.Parameter("storage", inspect.Parameter.POSITIONAL_OR_KEYWORD), *parameters],
        return_annotation=process.return_annotation,
    )

    def run(self: StepOperator, storage: Any, *args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(self, storage, *args, **kwargs)
        bound.apply_defaults()
        keys = {k: v for k, v in bound.arguments.items() if k not in ("self", "storage")}
        return self.run_step(storage, keys)

    run.__signature__ = signature  # type: ignore[attr-defined]
    run.__qualname__ = f"{cls.__qualname__}.run"
    run.__doc__ = (
        f"Read the storage's current step, run ``process()`` on it, write the next step; returns the output key.\n\n"
        f"Takes ``process()``'s keyword arguments. Durable (``dataflow.step``): locked, reused when verifiably "
        f"made from the same input and settings{', journaled chunk by chunk' if issubclass(cls, ModelOperator) else ''}."
    )
    return run
