"""The checks ``PipelineABC.compile()`` makes on a recorded plan, in seconds, before anything runs.

Each check adds the problems it finds (they stop the run) and warnings (logged); nothing here loads
a model, writes a file or reads more than the first rows of the input.
"""

from __future__ import annotations

import difflib
import inspect
import os
from typing import Any

from dataflow.errors import DataFlowError
from dataflow.pipeline.plan import PlannedStep

SAMPLE_ROWS = 8


class PlanCheck:
    """Runs every check over ``steps``; read ``problems``, ``warnings`` and ``input_columns`` after ``run()``."""

    def __init__(self, steps: list[PlannedStep], sample_rows: int = SAMPLE_ROWS):
        self.steps = steps
        self.sample_rows = sample_rows
        self.problems: list[str] = []
        self.warnings: list[str] = []
        self.head: Any = None
        self.input_columns: list[str] | None = None

    def run(self) -> "PlanCheck":
        for step in self.steps:
            self._arguments(step)
        self._read_head()
        if self.input_columns is not None:
            self._columns()
            self._media()
        self._overwrites()
        self._models()
        return self

    # -- each operator's arguments ------------------------------------------------------------------
    def _arguments(self, step: PlannedStep) -> None:
        parameters = inspect.signature(step.operator.run).parameters
        takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
        unknown = [k for k in step.kwargs if k not in parameters]
        if unknown and not takes_any:
            names = [n for n in parameters if n not in ("self", "storage")]
            for key in unknown:
                self.problems.append(
                    f"{step.label}: run() has no argument {key!r}{_did_you_mean(key, names)}; its arguments: {names}"
                )
            return
        step.io = step.operator.io_keys(**step.kwargs)

    # -- the input's first rows ----------------------------------------------------------------------
    def _read_head(self) -> None:
        storage = self.steps[0].storage
        if not hasattr(storage, "read_head"):
            self.warnings.append(f"{type(storage).__name__} cannot show its first rows: input columns not checked")
            return
        try:
            self.head = storage.read_head(self.sample_rows)
        except DataFlowError as err:
            self.problems.append(f"{self.steps[0].label}: cannot read its input: {err}")
            return
        if len(self.head.columns) == 0:
            self.warnings.append(f"{self.steps[0].label}: its input has no rows: input columns not checked")
            return
        self.input_columns = [str(c) for c in self.head.columns]

    def _columns(self) -> None:
        available = list(self.input_columns or [])
        for step in self.steps:
            if step.io is None:
                continue
            for argument, column in step.io.reads.items():
                if column not in available:
                    self.problems.append(
                        f"{step.label}: {argument}={column!r} is not a column of its input"
                        f"{_did_you_mean(column, available)}. Columns there: {available}"
                    )
            available += [c for c in step.io.writes if c not in available]

    # -- media cells of the first rows ---------------------------------------------------------------
    def _media(self) -> None:
        written: set[str] = set()
        checked: set[str] = set()
        for step in self.steps:
            if step.io is None:
                continue
            for argument in step.io.media:
                column = step.io.reads[argument]
                if column in written or column in checked or column not in (self.input_columns or []):
                    continue
                checked.add(column)
                self._media_column(step, argument, column)
            written.update(step.io.writes)

    def _media_column(self, step: PlannedStep, argument: str, column: str) -> None:
        from dataflow.storage.media import MediaResolver, is_url

        root = getattr(step.storage, "media_root", None)
        resolver = MediaResolver(root)
        tried, failures = 0, []
        for row, cell in enumerate(self.head[column].tolist()):
            try:
                paths = resolver.cell(cell)
            except ValueError as err:
                tried += 1
                failures.append(f"row {row}: {err}")
                continue
            for path in paths:
                if isinstance(path, str) and is_url(path) and not path.startswith("data:"):
                    continue  # fetched when the row runs
                tried += 1
                problem = _media_problem(path, video="video" in argument)
                if problem:
                    failures.append(f"row {row}: {problem}")
        if not failures:
            return
        where = f"relative paths are looked up from the working directory and from {root} and its parents"
        if len(failures) == tried:
            self.problems.append(
                f"{step.label}: none of the {tried} media item(s) in the first {len(self.head)} rows of "
                f"{argument}={column!r} can be opened, e.g. {failures[0]} ({where})"
            )
        else:
            self.warnings.append(
                f"{step.label}: {len(failures)} of {tried} media item(s) in the first rows of {column!r} cannot be "
                f"opened (those rows will fail): {'; '.join(failures[:3])}"
            )

    # -- outputs that replace input another step still reads ------------------------------------------
    def _overwrites(self) -> None:
        origin = {c: "a column of the input data" for c in self.input_columns or []}
        for i, step in enumerate(self.steps):
            if step.io is None:
                continue
            own_reads = set(step.io.reads.values())
            for column in step.io.writes:
                if column in origin and column not in own_reads:
                    later = next((s for s in self.steps[i + 1:] if s.io and column in s.io.reads.values()), None)
                    if later is not None:
                        message = (
                            f"{step.label} writes {column!r}, replacing {origin[column]} that {later.label} "
                            "reads later; give it another output key"
                        )
                        input_column = origin[column] == "a column of the input data"
                        (self.problems if input_column else self.warnings).append(message)
                origin.setdefault(column, f"the column written by {step.label}")

    # -- models ---------------------------------------------------------------------------------------
    def _models(self) -> None:
        seen: set[int] = set()
        for step in self.steps:
            serving = getattr(step.operator, "serving", None)
            if serving is None or id(serving) in seen or not hasattr(serving, "preflight"):
                continue
            seen.add(id(serving))
            self.problems += [f"{step.label}: model: {p}" for p in serving.preflight()]


def _did_you_mean(word: str, candidates: list[str]) -> str:
    match = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    return f" (did you mean {match[0]!r}?)" if match else ""


def _media_problem(item: Any, video: bool) -> str | None:
    """Why a media item (a path, or an embedded image) cannot be used, or None (images: they decode)."""
    if video:
        return None if isinstance(item, str) and os.path.isfile(item) else f"video file not found: {str(item)[:200]}"
    from dataflow.io.images import ImageLoadError, load_image

    try:
        load_image(item, max_pixels=256 * 28 * 28, exact=False)
    except ImageLoadError as err:
        return str(err)
    return None
