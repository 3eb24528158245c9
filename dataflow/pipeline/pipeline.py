"""``PipelineABC``: upstream DataFlow's pipeline base class, with a ``compile()`` that checks first."""

from __future__ import annotations

import logging
import time
from abc import ABC, abstractmethod
from typing import Any, Iterator

from dataflow.errors import PipelineCompileError
from dataflow.logger import enable_script_defaults
from dataflow.pipeline.checks import SAMPLE_ROWS, PlanCheck
from dataflow.pipeline.plan import PlannedStep, record_forward

logger = logging.getLogger(__name__)


class PipelinePlan:
    """The steps ``forward()`` makes, with the columns each reads and writes; ``str()`` is a table."""

    def __init__(self, pipeline: str, steps: list[PlannedStep], input_columns: list[str] | None):
        self.pipeline = pipeline
        self.steps = steps
        self.input_columns = input_columns

    def __iter__(self) -> Iterator[PlannedStep]:
        return iter(self.steps)

    def __len__(self) -> int:
        return len(self.steps)

    def __getitem__(self, index: int) -> PlannedStep:
        return self.steps[index]

    def rows(self) -> list[list[str]]:
        """One row per step: step file number, attribute and operator, columns read, columns written, model."""
        table = []
        for step in self.steps:
            io = step.io
            serving = getattr(step.operator, "serving", None)
            model = ""
            if serving is not None:
                model = str(getattr(serving, "hf_model_name_or_path", None) or getattr(serving, "model_name", None)
                            or type(serving).__name__)
            table.append([
                str(step.number),
                f"{step.name} ({type(step.operator).__name__})" if step.name else type(step.operator).__name__,
                ", ".join(io.reads.values()) if io else "?",
                ", ".join(io.writes) if io else "?",
                model,
            ])
        return table

    def __str__(self) -> str:
        header = ["step", "operator", "reads", "writes", "model"]
        rows = [header, *self.rows()]
        widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
        lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows]
        lines.insert(1, "  ".join("-" * w for w in widths))
        source = f"input columns: {self.input_columns}" if self.input_columns is not None else "input columns: unknown"
        return "\n".join([f"{self.pipeline}: {len(self.steps)} step(s); {source}", *lines])

    def __repr__(self) -> str:
        return f"PipelinePlan({self.pipeline!r}, steps={len(self.steps)})"


class PipelineABC(ABC):
    """Base class of pipelines: operators as attributes, ``forward()`` chaining their ``run()`` calls.

    ``compile()`` (upstream DataFlow's name) rehearses ``forward()`` without running any operator and
    checks, in seconds, what would otherwise fail hours into a run: every input column an operator
    reads exists in the input's first rows or is written by an earlier step (a wrong key names the
    step, operator, argument, the columns there and the closest match); every ``run()`` argument
    exists; the model is resolvable (a local folder holds ``config.json``; with the hub offline, a hub
    id is cached); the media cells of the first rows open; no step replaces an input column that a
    later step still reads. All problems are reported at once as a ``PipelineCompileError``.

    Example:
        >>> class MyPipeline(PipelineABC):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.storage = FileStorage("data.json", cache_path="./cache_local")
        ...         self.refiner = WikiQARefiner()
        ...     def forward(self):
        ...         self.refiner.run(storage=self.storage.step(), input_key="vqa", output_key="context_vqa")
        >>> pipe = MyPipeline()
        >>> print(pipe.compile())    # the plan as a table; raises PipelineCompileError on problems
        >>> pipe.forward()
    """

    def __init__(self) -> None:
        self.op_runtimes: list[PlannedStep] = []  # upstream's name for the compiled steps
        self.plan: PipelinePlan | None = None

    @abstractmethod
    def forward(self) -> Any:
        """Run the operators in order, each with ``storage=self.storage.step()``."""

    def compile(self, sample_rows: int = SAMPLE_ROWS) -> PipelinePlan:
        """Check the pipeline before it spends anything; return its plan (see the class docstring).

        Args:
            sample_rows: how many of the input's first rows are read for the column and media checks.

        Raises:
            PipelineCompileError: listing every problem found. Warnings (some media of the first
            rows cannot be opened, a step replaces a column an earlier step wrote) are logged.
        """
        enable_script_defaults()
        started = time.perf_counter()
        name = type(self).__name__
        steps = record_forward(self)
        check = PlanCheck(steps, sample_rows).run()
        for warning in check.warnings:
            logger.warning("%s.compile(): %s", name, warning)
        if check.problems:
            raise PipelineCompileError(name, check.problems)
        self.plan = PipelinePlan(name, steps, check.input_columns)
        self.op_runtimes = list(steps)
        logger.info("%s.compile(): %d step(s) checked in %.2fs\n%s", name, len(steps),
                    time.perf_counter() - started, self.plan)
        return self.plan
