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

A step **streams**: it reads its input a chunk at a time (``chunks()``; a file storage reads JSONL,
JSON, CSV and Parquet incrementally) and writes its output as it goes (``writer()``, ``map_rows``),
so memory is bounded by the chunk size, not the number of rows. Only per-row digests are kept
(12 bytes a row), and a resumed journal is indexed (an offset and a digest, 20 bytes a row), not loaded.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from dataflow.errors import DataFlowError
from dataflow.step.feed import Chunk, ChunkFeed, MapStats, RowStream
from dataflow.step.fingerprint import RowDigester, RowDigests, data_fingerprint, settings_fingerprint, step_key
from dataflow.step.journal import JOURNAL_SUFFIX, Journal, JournalIndex, JournalReport, RowSchema
from dataflow.step.lock import StepLock
from dataflow.step.meta import (
    file_stamp,
    meta_path,
    record_step_file,
    recorded_input,
    rejected_path,
    reusable,
    stale_whatever_the_data,
)
from dataflow.storage.formats import frame_from_records, raw_records
from dataflow.storage.stream import RowWriter
from dataflow.logger import enable_script_defaults
from dataflow.utils.fs import remove_stale_temp_files
from dataflow.utils.runtime import env_flag

logger = logging.getLogger(__name__)

FORCE_ENV = "DATAFLOW_FORCE_RECOMPUTE"
PROGRESS_ENV = "DATAFLOW_PROGRESS"


DEFAULT_CHUNK_ROWS = 4096


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
        chunk_rows: rows read at a time when streaming.

    Example (streaming: one chunk in memory at a time)::

        with DurableStep(storage, "MyOperator", settings) as step:
            if step.reuse():
                return output_key
            with step.writer() as out:
                for records in step.chunks():
                    out.write(my_process(records))
                step.commit(out)

    ``step.frame`` (the whole input as a DataFrame) and ``step.write(frame)`` remain for operators
    that need every row at once.
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
        chunk_rows: int = DEFAULT_CHUNK_ROWS,
    ):
        self.storage = storage
        self.operator = operator
        self.settings = settings
        self.force = force or bool(env_flag(FORCE_ENV))
        self.media_columns = [c for c in media_columns if c is not None]
        self.hash_media = hash_media
        self.chunk_rows = chunk_rows
        self.out_path = Path(storage.write_path) if hasattr(storage, "write_path") else None
        self.digests: RowDigests = RowDigests()
        self.columns: list[str] = []
        self.rows = 0
        self.settings_key = settings_fingerprint(operator, settings)
        self.code = code
        self.data_key = ""
        self.key = ""
        self.stats = MapStats()
        self._frame: Any = None
        self._head: tuple[list[str], int] | None = None
        self._digested = False
        self._input_stamp: list | None = None
        self._locks: list[StepLock] = []
        self._gc_was_enabled = False
        self._young = YoungCollector()

    # -- lifecycle -------------------------------------------------------------------------------
    def __enter__(self) -> "DurableStep":
        enable_script_defaults()
        # The cyclic collector would walk every live object again and again (a quarter of a streaming
        # step's time); the young generations are collected after each chunk instead (``chunks``).
        self._gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            if self.out_path is not None:
                read_path = getattr(self.storage, "read_path", None)
                if getattr(self.storage, "operator_step", 0) >= 1 and read_path:
                    self._lock(read_path)  # no other run rewrites our input while we read it
                self._lock(self.out_path)
                for path in (self.out_path, self.meta_path, self.journal_path, rejected_path(self.out_path)):
                    remove_stale_temp_files(path)
                self._input_stamp = file_stamp(read_path) if read_path else None
            if not self.streams:
                self._frame = self.storage.read("dataframe")
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: Any) -> None:
        self._release()
        if self._gc_was_enabled:
            gc.enable()

    def _lock(self, path: str | os.PathLike) -> None:
        lock = StepLock(path)
        lock.acquire()
        self._locks.append(lock)

    def _release(self) -> None:
        while self._locks:
            self._locks.pop().release()

    @property
    def streams(self) -> bool:
        """Whether the input is read a chunk at a time (a storage with ``read_chunks``)."""
        return hasattr(self.storage, "read_chunks")

    @property
    def meta_path(self) -> Path:
        return meta_path(self.out_path)

    @property
    def journal_path(self) -> Path:
        return Path(str(self.out_path) + JOURNAL_SUFFIX)

    @property
    def media_root(self) -> str | None:
        return getattr(self.storage, "media_root", None)

    # -- the input -------------------------------------------------------------------------------
    @property
    def frame(self) -> Any:
        """The whole input as a DataFrame (read on first use: streaming steps never need it)."""
        if self._frame is None:
            self._frame = self.storage.read("dataframe")
        return self._frame

    def head_columns(self) -> list[str]:
        """The input's columns as its first rows show them (all of them once a pass has read the input);
        what a step checks its keys against before the work."""
        if self._head is None:
            if self._frame is not None or not hasattr(self.storage, "read_head"):
                self._head = (list(map(str, self.frame.columns)), len(self.frame))
            else:
                head = self.storage.read_head(8)
                self._head = (list(map(str, head.columns)), len(head))
            self.columns = list(dict.fromkeys([*self._head[0], *self.columns]))
        return self.columns

    @property
    def has_rows(self) -> bool:
        """Whether the input has any row (known without reading it all)."""
        self.head_columns()
        return bool(self.rows or self._head[1])

    def chunks(self, rows: int | None = None, progress: str | None = None) -> Iterator[list[dict]]:
        """The input rows as lists of dicts, ``rows`` (default ``chunk_rows``) at a time, in order.

        The first pass that reads the input to its end also digests every row on the way (the cache
        key, and the journal's check of each row), so that a step reads its input once.
        ``progress``: show a bar of this pass's rows with that label (rows/s, and the process's peak
        memory, which stays flat when the step streams)."""
        rows = rows or self.chunk_rows
        if progress is not None and env_flag(PROGRESS_ENV) is not False:
            yield from self._with_progress(self.chunks(rows), progress)
            return
        if self._frame is None and self.streams:
            source = self.storage.read_chunks(rows)
        else:
            records = raw_records(self.frame)
            source = (records[start : start + rows] for start in range(0, len(records), rows))
        if self._digested:
            for records in source:
                yield records
                self._collect_young()
            return
        self.digests.clear()
        digester = RowDigester(self.media_columns, self.media_root, self.hash_media, into=self.digests)
        seen: dict[str, None] = {}
        if self._frame is not None:
            seen = dict.fromkeys(str(c) for c in self._frame.columns)
            digester.media = [c for c in digester.media if c in seen]
        count = 0
        for records in source:
            if self._frame is None:
                for record in records:
                    if len(record) != len(seen) or any(k not in seen for k in record):
                        seen.update(dict.fromkeys(record))
                self.columns = list(dict.fromkeys([*self.columns, *seen]))
            digester.add(records)
            count += len(records)
            yield records
            self._collect_young()
        self.rows = count
        self._digested = True
        # (a fingerprint taken from the meta record is replaced: the rows just read are what counts)
        self.data_key = data_fingerprint(list(seen), self.digests)
        self.key = step_key(self.settings_key, self.data_key, self.code)

    def _with_progress(self, chunks: Iterator[list[dict]], label: str) -> Iterator[list[dict]]:
        from dataflow.step.operator import peak_rss_gib

        with self._rows_bar(True, label) as bar:
            for records in chunks:
                yield records
                bar.update(len(records))
                bar.set_postfix_str(f"peak RSS {peak_rss_gib():.2f} GiB", refresh=False)

    def _collect_young(self) -> None:
        """Free the cycles a chunk left (pandas frames have some) while the collector is paused."""
        if self._gc_was_enabled:
            self._young.after_chunk()

    def scan(self, observe: Callable[[list[dict]], None] | None = None) -> None:
        """One pass over the input: the row count, the columns and each row's digest (the cache key).
        ``observe(records)`` sees each chunk on the way (when this call makes the pass)."""
        if self._digested:
            return
        for records in self.chunks():
            if observe is not None:
                observe(records)

    # -- the cache -------------------------------------------------------------------------------
    def reuse(self) -> bool:
        """True when the step file exists, was made from exactly these inputs and is unchanged since.

        Deciding it reads no more than it must: nothing when the step file cannot be reused whatever
        the input (none yet, other settings or code: the work's own pass then digests the input);
        nothing of the input either when it is a file unchanged since the recorded run (same size,
        modification and change times, inode); otherwise one pass over the input."""
        if self.out_path is None or self.force:
            return False
        parts = {"settings": self.settings_key, "code": self.code}
        if not self._digested:
            reason = stale_whatever_the_data(self.out_path, parts)
            if reason is not None:
                if reason:
                    logger.info("%s: recomputing %s: %s", self.operator, self.out_path, reason)
                return False
            recorded = recorded_input(self.out_path)
            if not self.media_columns and self._input_stamp and recorded.get("stamp") == self._input_stamp:
                self.data_key = recorded["data"]
                self.key = step_key(self.settings_key, self.data_key, self.code)
                self.rows = recorded.get("rows", 0)
            else:
                self.scan()
        if not reusable(self.out_path, self.key, self.parts, self.operator, f"; set {FORCE_ENV}=1 to recompute"):
            return False
        # A journal beside a verified step file is what a run killed between writing the file and
        # removing its journal left behind.
        with contextlib.suppress(FileNotFoundError):
            self.journal_path.unlink()
        return True

    @property
    def parts(self) -> dict:
        """What the key is made of, recorded beside the step file so that a recompute can say why."""
        return {"settings": self.settings_key, "data": self.data_key, "code": self.code}

    # -- durable per-row work --------------------------------------------------------------------
    def map_rows(
        self,
        compute: Callable[[Any], list[dict]] | None,
        schema: RowSchema,
        *,
        prepare: Callable[[list[dict]], Any] | None = None,
        chunk_size: int = 256,
        show_progress: bool = True,
        stream: RowStream | None = None,
        window: int | None = None,
        emit: Callable[[int, dict, dict, bool], None] | None = None,
    ) -> list[dict] | None:
        """Every row's outputs, computed chunk by chunk and journaled as rows finish; rows a valid
        journal holds are not computed again, and a crash or Ctrl-C loses at most the rows in flight.

        ``prepare(records)`` (on a helper thread, one chunk ahead: e.g. image decoding) turns a
        chunk's rows into what ``compute`` takes; ``compute`` returns one dict of outputs per row,
        in order, with exactly the columns of ``schema``. With ``stream`` (an engine that takes
        requests while it runs) prepared chunks are fed in whenever fewer than ``window`` rows are
        in flight: the engine never drains at a chunk boundary.

        ``emit(index, record, outputs, fresh)`` gets every row in input order as soon as it and every
        row before it are done (``fresh``: computed now); None is returned. Without ``emit`` the
        outputs are returned as a list.
        """
        journal, index = self._open_journal(schema)
        stats = self.stats = MapStats()
        collected: list[dict] = []
        order = _InOrder(emit or (lambda i, record, outputs, fresh: collected.append(outputs)))
        bar = self._rows_bar(show_progress)

        def take(chunk: Chunk) -> None:
            for i, record, offset in chunk.done:
                order.put(i, record, journal.output_at(offset), False)
            stats.reused += len(chunk.done)
            bar.update(len(chunk.done))
            order.hold(chunk.indices, chunk.records)

        def finish(finished: dict[int, dict]) -> None:
            if journal is not None:
                journal.append(finished)
            for i, outputs in finished.items():
                order.done(i, outputs)
            stats.computed += len(finished)
            bar.update(len(finished))

        window = window or 2 * chunk_size
        feed = ChunkFeed(self._todo(index, chunk_size), prepare or (lambda rows: rows), take, finish, stats,
                         self.operator, backlog=lambda: len(order), max_backlog=4 * window + self.chunk_rows)
        try:
            feed.run(compute, stream, window)
        except BaseException as err:
            bar.close()
            if journal is not None:
                self._stopped(err, journal, index.report.done + stats.computed)
            raise
        bar.close()
        stats.total = self.rows
        if journal is not None:
            journal.close()
            self._report_journal(journal, index.report)
        if order.next != self.rows:  # pragma: no cover - an invariant of the feed
            raise DataFlowError(f"{self.operator}: {self.rows - order.next} rows were never finished")
        return None if emit is not None else collected

    def _open_journal(self, schema: RowSchema) -> tuple[Journal | None, JournalIndex]:
        """The journal, opened to append (a resumed one kept), and the index of the rows it holds."""
        journal, index = self._load_journal(schema)
        if journal is not None:
            journal.open(resume=index.report.done > 0)
        if index.report.done and self._digested:
            logger.info("%s: resuming, %d of %d rows already done", self.operator,
                        index.matching(self.digests, self.rows), self.rows)
        elif index.report.done:
            logger.info("%s: resuming: %s holds %d finished rows", self.operator, journal.path, index.report.done)
        return journal, index

    def _rows_bar(self, show_progress: bool, label: str = "") -> Any:
        """A progress bar over the input's rows (off with ``show_progress=False`` or ``DATAFLOW_PROGRESS=0``)."""
        from tqdm.auto import tqdm

        show = show_progress and env_flag(PROGRESS_ENV) is not False
        return tqdm(total=self.rows if self._digested else self._row_estimate(), desc=f"{self.operator}{label}",
                    unit="row", dynamic_ncols=True, disable=not show)

    def _row_estimate(self) -> int | None:
        """The number of input rows, for the progress bar, when it is cheap to know (a JSONL file's lines)."""
        path = getattr(self.storage, "read_path", None)
        if self._frame is not None:
            return len(self._frame)
        if not (isinstance(path, str) and path.endswith(".jsonl") and os.path.isfile(path)):
            return None
        lines = 0
        with open(path, "rb") as fh:
            while block := fh.read(1 << 22):
                lines += block.count(b"\n")
        return lines

    def _todo(self, index: JournalIndex, chunk_size: int) -> Iterator[Chunk]:
        """The input as ``Chunk``s: rows to compute in chunks of ``chunk_size`` (the first one small, to
        get an engine going), with the rows the journal holds for exactly these input rows alongside."""
        size = min(chunk_size, max(8, chunk_size // 8))
        todo: list[int] = []
        todo_records: list[dict] = []
        done: list[tuple[int, dict, int]] = []
        i = 0
        for records in self.chunks(max(chunk_size, self.chunk_rows)):  # digests the rows as it reads them
            for record in records:
                offset = index.find(i, self.digests.raw(i))
                if offset is not None:
                    done.append((i, record, offset))
                    if len(done) >= self.chunk_rows:  # a resumed run: hand the journal's rows on
                        yield Chunk(todo, todo_records, done)
                        todo, todo_records, done = [], [], []
                else:
                    todo.append(i)
                    todo_records.append(record)
                    if len(todo) >= size:
                        yield Chunk(todo, todo_records, done)
                        todo, todo_records, done, size = [], [], [], chunk_size
                i += 1
        if todo or done:
            yield Chunk(todo, todo_records, done)

    def _load_journal(self, schema: RowSchema) -> tuple[Journal | None, JournalIndex]:
        """The step's journal (None without a file storage) and the index of the rows it holds."""
        if self.out_path is None:
            return None, JournalIndex(JournalReport())
        journal = Journal(self.journal_path, self.operator, self.settings_key, self.digests, schema)
        if self.force:
            return journal, JournalIndex(JournalReport())
        index = journal.index()
        if index.report.discarded:
            logger.info("%s: discarding %s: %s", self.operator, journal.path, index.report.discarded)
        return journal, index

    def _report_journal(self, journal: Journal, report: JournalReport) -> None:
        if report.skipped and not report.discarded:
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
                "%s: %s: skipped %s; kept %d finished row(s), the skipped rows were computed again",
                self.operator, journal.path, ", ".join(parts), self.stats.reused,
            )

    def _stopped(self, err: BaseException, journal: Journal, kept: int) -> None:
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
        of = f" of {self.rows}" if self._digested else ""
        logger.warning("%s: %s: %d%s rows are saved in %s%s.", self.operator, what, kept, of, journal.path, hint)

    # -- the output ------------------------------------------------------------------------------
    def writer(self, path: str | os.PathLike | None = None) -> Any:
        """A writer of the step file (``path``: a file beside it, such as the rejected rows), written a
        chunk at a time (``RowWriter``); ``commit()`` puts the step file in place. Without a file
        storage, the rows are collected and handed to ``storage.write`` at ``commit()``."""
        if self.out_path is None:
            return _Collector(self.storage)
        if path is None and hasattr(self.storage, "writer"):
            return self.storage.writer()
        media_dir = getattr(self.storage, "media_dir", None)
        return RowWriter(path or self.out_path, media_dir=media_dir)

    def commit(self, writer: Any) -> str:
        """Close ``writer`` (the step file's), record what the file was made from, drop the journal."""
        path = writer.close()
        if self.out_path is not None:
            self.scan()
            record_step_file(self.out_path, self.operator, self.key, writer.rows, self.parts,
                             size=writer.size if writer.sha256 else None, sha256=writer.sha256,
                             source={"stamp": self._input_stamp, "data": self.data_key, "rows": self.rows})
            with contextlib.suppress(FileNotFoundError):
                self.journal_path.unlink()
        return path

    def write(self, out: Any) -> str:
        """Write ``out`` (a whole DataFrame or list of dicts) as the step file, atomically; record what it
        was made from; drop the journal."""
        writer = self.writer()
        try:
            writer.write(out)
        except BaseException:
            writer.abort()
            raise
        return self.commit(writer)


class RowBatcher:
    """Collects rows one at a time and hands them to ``sink`` in lists of ``size``; ``flush()`` the rest."""

    def __init__(self, sink: Callable[[list[dict]], None], size: int = 1024):
        self.sink = sink
        self.size = size
        self._rows: list[dict] = []

    def add(self, row: dict) -> None:
        self._rows.append(row)
        if len(self._rows) >= self.size:
            self.flush()

    def flush(self) -> None:
        if self._rows:
            rows, self._rows = self._rows, []
            self.sink(rows)


class _InOrder:
    """Hands finished rows to ``emit`` in input order, holding those that finish early."""

    def __init__(self, emit: Callable[[int, dict, dict, bool], None]):
        self.emit = emit
        self.next = 0
        self._records: dict[int, dict] = {}
        self._ready: dict[int, tuple[dict, dict, bool]] = {}

    def __len__(self) -> int:
        return len(self._ready)

    def hold(self, indices: list[int], records: list[dict]) -> None:
        self._records.update(zip(indices, records))

    def done(self, index: int, outputs: dict) -> None:
        self.put(index, self._records.pop(index), outputs, True)

    def put(self, index: int, record: dict, outputs: dict, fresh: bool) -> None:
        self._ready[index] = (record, outputs, fresh)
        while self.next in self._ready:
            record, outputs, fresh = self._ready.pop(self.next)
            self.emit(self.next, record, outputs, fresh)
            self.next += 1


class _Collector:
    """A writer for storages without files: the rows go to ``storage.write`` as one frame at ``close()``."""

    sha256 = None
    size = 0

    def __init__(self, storage: Any):
        self.storage = storage
        self._records: list[dict] = []
        self._frames: list[Any] = []

    @property
    def rows(self) -> int:
        return len(self._records) + sum(len(f) for f in self._frames)

    def write(self, data: Any) -> None:
        if isinstance(data, list):
            self._records.extend(data)
        else:
            if self._records:
                self._frames.append(frame_from_records(self._records))
                self._records = []
            self._frames.append(data)

    def close(self) -> Any:
        import pandas as pd

        frames = self._frames + ([frame_from_records(self._records)] if self._records else [])
        data = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        return self.storage.write(data)

    def abort(self) -> None:
        self._records, self._frames = [], []

    def __enter__(self) -> "_Collector":
        return self

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        if exc_type is not None:
            self.abort()


class YoungCollector:
    """When a streaming step collects the young generations: after a chunk, but not after every one.

    A collection walks every young object still alive, the chunk the operator holds included, so it
    is not free. After a collection that finds no garbage the next one waits twice as many chunks
    (up to ``longest``); one that finds garbage brings it back to every chunk. ``collect``: the
    collection, returning the number of unreachable objects found (``gc.collect(1)``)."""

    def __init__(self, longest: int = 16, collect: Callable[[], int] | None = None):
        self.longest = longest
        self.collect = collect or (lambda: gc.collect(1))
        self.every = 1
        self.wait = 1

    def after_chunk(self) -> None:
        self.wait -= 1
        if self.wait > 0:
            return
        self.every = 1 if self.collect() else min(2 * self.every, self.longest)
        self.wait = self.every
