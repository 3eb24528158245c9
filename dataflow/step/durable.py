"""Durable operator steps: the one place that makes a step file exactly the output of its inputs.

Every operator's ``run(storage, ...)`` goes through ``DurableStep``; the operator supplies the work
(a whole-frame function, or a per-chunk function for long model-backed work) and gets:

* **a lock per step output** (``<step file>.lock``, taken with ``filelock``): a second run on the
  same cache step stops at once with ``StepBusyError`` naming the holder (pid, host, start time,
  from ``<step file>.lock.json``). The lock of the step file it reads is held too, so no other run
  rewrites a step's input while the step reads it. The OS drops the lock of a dead process, so a
  crashed run's lock is taken over by the next one;
* **a journal of finished rows** (``<step file>.partial.jsonl``) for per-chunk work: a header line
  naming the operator and the settings' fingerprint, then one line per finished row carrying the
  row's index, the digest of the input row it answers and the row's outputs. Every line is checked
  on reading; unreadable lines anywhere, rows of other data and rows of the wrong shape are
  skipped and counted in one warning, and the rows around them are resumed;
* **a verified cache** (``<step file>.meta.json``): the fingerprint of the input data and settings,
  and the step file's size, row count and SHA-256 as written. A step is reused only when all of
  them still hold; otherwise it is recomputed, with a log line saying why;
* **atomic writes** that honour the umask, and removal of the temporary files a killed writer left.

The input's fingerprint covers every cell, and for media columns each file's size and modification
time (``hash_media=True``: its contents).
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path
from typing import Any, Callable, Iterable

from dataflow.errors import DataFlowError
from dataflow.step.feed import ChunkFeed, MapStats, RowStream, split_chunks
from dataflow.step.fingerprint import data_fingerprint, row_digests, settings_fingerprint, step_key
from dataflow.step.journal import JOURNAL_SUFFIX, Journal, JournalReport, RowSchema
from dataflow.step.lock import StepLock
from dataflow.step.meta import meta_path, record_step_file, reusable
from dataflow.storage.formats import raw_records
from dataflow.logger import enable_script_defaults
from dataflow.utils.fs import remove_stale_temp_files
from dataflow.utils.runtime import env_flag

logger = logging.getLogger(__name__)

FORCE_ENV = "DATAFLOW_FORCE_RECOMPUTE"
PROGRESS_ENV = "DATAFLOW_PROGRESS"


class DurableStep:
    """One operator step, run durably. Use as a context manager around the whole of ``run``.

    Args:
        storage: the step's storage (``storage.step()``). A ``FileStorage`` (anything with
            ``write_path``) gets locks, a journal and a verified cache; any other storage is
            simply read and written.
        operator: the operator's name (logs, journal header, meta).
        settings: everything besides the input data that decides the output (keys, arguments,
            the serving's model and sampling settings): JSON-able.
        force: recompute even when a verified result exists (also ``DATAFLOW_FORCE_RECOMPUTE=1``).
        media_columns: columns holding media paths; their files' size and mtime join the fingerprint.
        hash_media: fingerprint media files by their contents instead (reads every file once).
        code: the fingerprint of the code that computes the step (``code_fingerprint``), for
            model-free steps: an upgrade that changes it recomputes the step. Model steps leave it
            out: they are keyed on what they send to the model, and survive other upgrades.

    Example::

        with DurableStep(storage, "MyOperator", settings) as step:
            if step.reuse():
                return output_key
            out = my_process(step.frame)
            step.write(out)
    """

    def __init__(
        self,
        storage: Any,
        operator: str,
        settings: Any,
        *,
        force: bool = False,
        media_columns: Iterable[str | None] = (),
        hash_media: bool = False,
        code: str | None = None,
    ):
        self.storage = storage
        self.operator = operator
        self.settings = settings
        self.force = force or bool(env_flag(FORCE_ENV))
        self.media_columns = [c for c in media_columns if c is not None]
        self.hash_media = hash_media
        self.out_path = Path(storage.write_path) if hasattr(storage, "write_path") else None
        self.frame: Any = None
        self.digests: list[str] = []
        self.settings_key = settings_fingerprint(operator, settings)
        self.code = code
        self.data_key = ""
        self.key = ""
        self.stats = MapStats()
        self._records: list[dict] | None = None
        self._locks: list[StepLock] = []

    # -- lifecycle -------------------------------------------------------------------------------
    def __enter__(self) -> "DurableStep":
        enable_script_defaults()
        try:
            if self.out_path is not None:
                read_path = getattr(self.storage, "read_path", None)
                if getattr(self.storage, "operator_step", 0) >= 1 and read_path:
                    self._lock(read_path)  # no other run rewrites our input while we read it
                self._lock(self.out_path)
                for path in (self.out_path, self.meta_path, self.journal_path):
                    remove_stale_temp_files(path)
            self.frame = self.storage.read("dataframe")
        except BaseException:
            self._release()
            raise
        return self

    def __exit__(self, *exc: Any) -> None:
        self._release()

    def _lock(self, path: str | os.PathLike) -> None:
        lock = StepLock(path)
        lock.acquire()
        self._locks.append(lock)

    def _release(self) -> None:
        while self._locks:
            self._locks.pop().release()

    @property
    def meta_path(self) -> Path:
        return meta_path(self.out_path)

    @property
    def journal_path(self) -> Path:
        return Path(str(self.out_path) + JOURNAL_SUFFIX)

    @property
    def media_root(self) -> str | None:
        return getattr(self.storage, "media_root", None)

    @property
    def records(self) -> list[dict]:
        """The input rows as dicts (built once: fingerprinting and the per-row work both read them)."""
        if self._records is None:
            self._records = raw_records(self.frame)
        return self._records

    def _fingerprint_input(self) -> None:
        if not self.key:
            self.digests = row_digests(
                self.frame, self.media_columns, self.media_root, self.hash_media, records=self.records
            )
            self.data_key = data_fingerprint(self.frame.columns, self.digests)
            self.key = step_key(self.settings_key, self.data_key, self.code)

    # -- the cache -------------------------------------------------------------------------------
    def reuse(self) -> bool:
        """True when the step file exists, was made from exactly these inputs and is unchanged since."""
        if self.out_path is None:
            return False
        self._fingerprint_input()
        if self.force:
            return False
        return reusable(self.out_path, self.key, self.parts, self.operator, f"; set {FORCE_ENV}=1 to recompute")

    @property
    def parts(self) -> dict:
        """What the key is made of, recorded beside the step file so that a recompute can say why."""
        return {"settings": self.settings_key, "data": self.data_key, "code": self.code}

    # -- durable per-row work --------------------------------------------------------------------
    def map_rows(
        self,
        compute: Callable[[Any], list[dict]],
        schema: RowSchema,
        *,
        prepare: Callable[[list[dict]], Any] | None = None,
        chunk_size: int = 256,
        show_progress: bool = True,
        stream: RowStream | None = None,
        window: int | None = None,
    ) -> list[dict]:
        """Every row's outputs, computed chunk by chunk and journaled as each chunk finishes.

        ``prepare(records)`` (on a helper thread, one chunk ahead: e.g. image decoding) turns a
        chunk's input rows into what ``compute`` takes; ``compute`` returns one dict of outputs per
        row, in order, with exactly the columns of ``schema``. Rows already in a valid journal are
        not computed again. A crash or Ctrl-C loses at most the chunk in flight.

        With ``stream`` (an engine that takes requests while it runs) prepared chunks are fed in
        whenever fewer than ``window`` rows are in flight, and each row is journaled as it
        finishes: the engine never drains at a chunk boundary, and a crash loses only the rows in
        flight.
        """
        from tqdm.auto import tqdm

        self._fingerprint_input()
        total = len(self.frame)
        journal, done = self._load_journal(schema)
        todo = [i for i in range(total) if i not in done]
        stats = self.stats = MapStats(total=total, reused=len(done))
        if not todo:
            return [done[i] for i in range(total)]
        if journal is not None:
            journal.open(resume=bool(done))
        if done:
            logger.info("%s: resuming, %d of %d rows already done", self.operator, len(done), total)
        show = show_progress and env_flag(PROGRESS_ENV) is not False
        bar = tqdm(total=total, initial=len(done), desc=self.operator, unit="row", disable=not show)

        def finish(finished: dict[int, dict]) -> None:
            if journal is not None:
                journal.append(finished)
            done.update(finished)
            stats.computed_indices.extend(finished)
            bar.update(len(finished))

        feed = ChunkFeed(self.records, split_chunks(todo, chunk_size), prepare or (lambda rows: rows), finish,
                         stats, self.operator)
        try:
            feed.run(compute, stream, window or 2 * chunk_size)
        except BaseException as err:
            bar.close()
            if journal is not None:
                self._stopped(err, journal, len(done), total)
            raise
        bar.close()
        if journal is not None:
            journal.close()
        return [done[i] for i in range(total)]

    def _load_journal(self, schema: RowSchema) -> tuple[Journal | None, dict[int, dict]]:
        """The step's journal (None without a file storage) and the valid rows it already holds."""
        if self.out_path is None:
            return None, {}
        journal = Journal(self.journal_path, self.operator, self.settings_key, self.digests, schema)
        if self.force:
            return journal, {}
        report = journal.load()
        self._report_journal(journal, report)
        return journal, report.rows

    def _report_journal(self, journal: Journal, report: JournalReport) -> None:
        if report.discarded:
            logger.info("%s: discarding %s: %s", self.operator, journal.path, report.discarded)
        elif report.skipped:
            parts = [
                f"{n} {what}"
                for n, what in (
                    (report.unreadable, "unreadable line(s)"),
                    (report.other_data, "row(s) of other input data"),
                    (report.bad_shape, "row(s) of the wrong shape"),
                )
                if n
            ]
            logger.warning(
                "%s: %s: skipped %s; kept %d finished row(s), the skipped rows are computed again",
                self.operator, journal.path, ", ".join(parts), len(report.rows),
            )

    def _stopped(self, err: BaseException, journal: Journal, kept: int, total: int) -> None:
        """Say what a stopped run kept, once, whatever else fails while closing."""
        journal.close()
        what = "Interrupted" if isinstance(err, KeyboardInterrupt) else f"Stopped by {type(err).__name__}: {err}"
        if kept == 0:
            with contextlib.suppress(OSError):
                journal.path.unlink()
            if not isinstance(err, DataFlowError):  # a library error speaks for itself
                logger.warning("%s: %s; no rows were saved.", self.operator, what)
            return
        hint = "" if isinstance(err, DataFlowError) else "; run the same command again to resume"
        logger.warning("%s: %s: %d of %d rows are saved in %s%s.", self.operator, what, kept, total, journal.path, hint)

    # -- the output ------------------------------------------------------------------------------
    def write(self, out: Any) -> str:
        """Write ``out`` as the step file (atomically), record what it was made from, drop the journal."""
        path = self.storage.write(out)
        if self.out_path is not None:
            self._fingerprint_input()
            record_step_file(self.out_path, self.operator, self.key, len(out), self.parts)
            with contextlib.suppress(FileNotFoundError):
                self.journal_path.unlink()
        return path
