"""What makes an operator step durable: the lock, the journal, the fingerprint, the meta record,
and ``DurableStep``, through which every operator's ``run()`` goes.

A step reads ``{prefix}_step{n}``, takes the locks (``lock``), fingerprints its input and settings
(``fingerprint``), reuses a verified earlier result (``meta``) or computes, chunk by chunk
(``feed``) with each finished row appended to the journal (``journal``), then writes the step file
atomically and records what it was made from (``meta``).
"""

from dataflow.step.durable import FORCE_ENV, PROGRESS_ENV, DurableStep
from dataflow.step.feed import MapStats, RowStream
from dataflow.step.fingerprint import fingerprint, row_digests
from dataflow.step.journal import Journal, JournalReport
from dataflow.step.lock import StepLock
from dataflow.step.meta import record_step_file
from dataflow.step.operator import ModelOperator, StepOperator

__all__ = [
    "FORCE_ENV",
    "PROGRESS_ENV",
    "DurableStep",
    "Journal",
    "JournalReport",
    "MapStats",
    "ModelOperator",
    "RowStream",
    "StepLock",
    "StepOperator",
    "fingerprint",
    "record_step_file",
    "row_digests",
]
