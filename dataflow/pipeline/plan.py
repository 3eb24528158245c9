"""What a pipeline's ``forward()`` would do, learnt without doing it.

``record_forward(pipeline)`` calls the pipeline's own ``forward()`` once with every operator
attribute swapped for a recorder whose ``run()`` notes the call (the operator, its keyword
arguments and the storage step it was given) instead of running it: no model is loaded, no file is
read or written. ``PipelineABC.compile()`` checks the recorded plan; the Ray runner runs it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dataflow.core.operator import OperatorABC, OperatorIO
from dataflow.errors import DataFlowError


@dataclass
class PlannedStep:
    """One operator call recorded from ``forward()``.

    ``index`` is the storage step the operator reads (0: the first-entry file); it writes step
    ``index + 1`` (``number``, as in ``{prefix}_step{number}.{cache_type}``). ``name`` is the
    pipeline attribute that holds the operator (``"refiner"`` for ``self.refiner``).
    """

    index: int
    operator: Any
    kwargs: dict
    storage: Any
    name: str = ""
    io: OperatorIO | None = field(default=None, repr=False)

    @property
    def number(self) -> int:
        return self.index + 1

    @property
    def model_backed(self) -> bool:
        return getattr(self.operator, "serving", None) is not None

    @property
    def label(self) -> str:
        """``step 3 (self.filter, ContextVQAFilter)``: how messages name this step."""
        where = f"self.{self.name}, " if self.name else ""
        return f"step {self.number} ({where}{type(self.operator).__name__})"


class _Recorder:
    """Stands in for an operator while ``forward()`` is recorded: ``run`` records instead of running."""

    def __init__(self, operator: Any, name: str, steps: list[PlannedStep]):
        self._operator = operator
        self._name = name
        self._steps = steps

    def run(self, storage: Any = None, *args: Any, **kwargs: Any) -> Any:
        who = f"self.{self._name}.run() ({type(self._operator).__name__})"
        if args:
            raise DataFlowError(f"{who}: pass run() arguments by keyword (storage=..., input_key=...), not by position")
        if storage is None or not hasattr(storage, "operator_step"):
            raise DataFlowError(f"{who}: needs storage=self.storage.step(), got {storage!r}")
        self._steps.append(PlannedStep(storage.operator_step, self._operator, dict(kwargs), storage, self._name))
        return next((v for k, v in kwargs.items() if k.startswith("output_") and k.endswith("key")), None)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._operator, name)


def record_forward(pipeline: Any) -> list[PlannedStep]:
    """The operator calls the class's ``forward()`` makes, in order, none of them run.

    The pipeline is left as it was: its operators are put back and its storage is reset to before
    the first step (``forward()`` steps it on as usual).
    """
    steps: list[PlannedStep] = []
    swapped = {name: value for name, value in vars(pipeline).items() if isinstance(value, OperatorABC)}
    try:
        for name, operator in swapped.items():
            setattr(pipeline, name, _Recorder(operator, name, steps))
        type(pipeline).forward(pipeline)
    finally:
        for name, operator in swapped.items():
            setattr(pipeline, name, operator)
        storage = getattr(pipeline, "storage", None)
        if storage is not None and hasattr(storage, "reset"):
            storage.reset()
    if not steps:
        raise DataFlowError(
            f"{type(pipeline).__name__}.forward() called no operator held as an attribute of the pipeline "
            "(self.x = SomeOperator(...), then self.x.run(storage=self.storage.step(), ...))"
        )
    return steps
