"""Upstream's import path for the storage classes (``from dataflow.utils.storage import FileStorage``).

The code lives in ``dataflow.storage``; this module re-exports it.
"""

from dataflow.core.storage import DataFlowStorage
from dataflow.storage import CACHE_TYPES, FileStorage, read_frame, read_head, read_records, write_records

__all__ = ["CACHE_TYPES", "DataFlowStorage", "FileStorage", "read_frame", "read_head", "read_records", "write_records"]
