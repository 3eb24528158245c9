"""The operator contract.

An operator's work on a batch of rows is a plain method that takes a DataFrame and returns one
(``process``); ``run(storage, ...)`` is a thin wrapper that reads the current step, calls it and
writes the next step. Chunked checkpointing and multi-node runners call ``process`` directly.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, Iterable

from dataflow.errors import InputDataError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd


class OperatorABC(ABC):
    """Base class of every operator."""

    @abstractmethod
    def run(self, storage: Any, *args: Any, **kwargs: Any) -> Any:
        """Read the storage's current step, do the work, write the next step."""

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
