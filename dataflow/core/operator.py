"""The operator contract.

An operator's work on a batch of rows is a plain method that takes a DataFrame and returns one
(``process``); ``run(storage, ...)`` is a thin wrapper that reads the current step, calls it and
writes the next step. Chunked checkpointing and multi-node runners call ``process`` directly.
"""

from __future__ import annotations

import inspect
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable

from dataflow.errors import InputDataError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd


_MEDIA_WORDS = ("image", "video", "audio")


@dataclass
class OperatorIO:
    """The columns one ``run()`` call reads and writes (what ``PipelineABC.compile()`` checks).

    ``reads`` maps each ``run()`` argument naming an input column to that column; ``media`` lists
    the arguments among them whose cells are media (images, videos); ``writes`` lists the columns
    the call adds or replaces.
    """

    reads: dict[str, str] = field(default_factory=dict)
    writes: list[str] = field(default_factory=list)
    media: list[str] = field(default_factory=list)


class OperatorABC(ABC):
    """Base class of every operator.

    ``output_suffixes``: the columns an operator writes beside each output column
    (``"_error"`` gives ``{output_key}_error``), so that ``io_keys`` can name them.
    """

    output_suffixes: tuple[str, ...] = ()

    @abstractmethod
    def run(self, storage: Any, *args: Any, **kwargs: Any) -> Any:
        """Read the storage's current step, do the work, write the next step."""

    def process(self, frame: "pd.DataFrame", **keys: Any) -> "pd.DataFrame":
        """The operator's work on a batch of rows, without a storage: a DataFrame in, a new one out.

        Takes the keys ``run`` takes (``input_key=...``); the Ray runner and chunked, resumable steps
        call it. ``dataflow.step.StepOperator`` derives ``run`` from it. Operators written against
        upstream's contract, with ``run`` alone, do not have it.
        """
        raise NotImplementedError(f"{type(self).__name__} has no storage-free process(); call run(storage, ...)")

    def io_keys(self, **run_kwargs: Any) -> OperatorIO:
        """The columns ``run(storage, **run_kwargs)`` would read and write, without running it.

        By upstream's naming convention: arguments ``input_key`` / ``input_*_key`` name columns read
        (those about images, videos or audio hold media), ``output_key`` / ``output_*_key`` columns
        written; the defaults of ``run()`` count too. Operators whose keys do not follow it
        override this. An argument ``run()`` does not take raises ``TypeError``.
        """
        bound = inspect.signature(self.run).bind_partial(**run_kwargs)
        bound.apply_defaults()
        io = OperatorIO()
        for name, value in bound.arguments.items():
            if not isinstance(value, str) or not name.endswith("key"):
                continue
            if name.startswith("input_"):
                io.reads[name] = value
                if any(word in name for word in _MEDIA_WORDS):
                    io.media.append(name)
            elif name.startswith("output_"):
                io.writes += [value, *(value + suffix for suffix in self.output_suffixes)]
        return io

    @staticmethod
    def get_desc(lang: str = "zh") -> str:
        """A short description of the operator, in Chinese (``"zh"``) or English (``"en"``)."""
        return ""


def require_columns(frame: "pd.DataFrame", columns: Iterable[str | None], who: str) -> None:
    """Raise one clear error naming every missing column and the columns that exist.

    A frame with no rows (say, every row was rejected by an earlier filter: a JSON step file of
    ``[]`` has no column names) is not an error: the missing columns are added to it, empty, so
    the step runs and writes an empty result.
    """
    missing = [c for c in columns if c is not None and c not in frame.columns]
    if missing and len(frame) == 0:
        import pandas as pd

        for column in missing:
            frame[column] = pd.Series([], index=frame.index, dtype=object)
        return
    if missing:
        raise InputDataError(
            f"{who}: input column(s) {missing} not in the data. "
            f"Current columns in the data: {list(map(str, frame.columns))}"
        )
