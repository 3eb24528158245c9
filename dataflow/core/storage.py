"""The storage contract."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any


class DataFlowStorage(ABC):
    """Where an operator reads its input rows and writes its output rows."""

    @abstractmethod
    def read(self, output_type: str = "dataframe") -> Any:
        """Return the current step's rows as a ``"dataframe"`` or a list of dicts (``"dict"``)."""

    @abstractmethod
    def write(self, data: Any) -> Any:
        """Write the next step's rows; return where they went."""
