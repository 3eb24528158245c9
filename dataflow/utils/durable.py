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
import gc
import hashlib
import json
import logging
import os
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from dataflow.errors import DataFlowError, StepBusyError
from dataflow.utils.fingerprint import fingerprint
from dataflow.utils.fs import atomic_write_bytes, fsync_dir, remove_stale_temp_files
from dataflow.utils.media import MediaResolver, media_cell_to_list

logger = logging.getLogger(__name__)

FORCE_ENV = "DATAFLOW_FORCE_RECOMPUTE"
PROGRESS_ENV = "DATAFLOW_PROGRESS"
JOURNAL_SUFFIX = ".partial.jsonl"
META_SUFFIX = ".meta.json"
LOCK_SUFFIX = ".lock"
OWNER_SUFFIX = ".lock.json"
_JOURNAL_VERSION = 2
JOURNAL_FSYNC_SECONDS = 1.0


def _journal_line(row: dict) -> bytes:
    import orjson

    try:
        return orjson.dumps(row, option=orjson.OPT_APPEND_NEWLINE)
    except TypeError:  # ints wider than 64 bits
        return json.dumps(row, ensure_ascii=False).encode("utf-8") + b"\n"
_META_VERSION = 2


@contextlib.contextmanager
def gc_paused() -> Any:
    """Pause the cyclic garbage collector around batch work that builds many small containers.

    Such work frees nothing until it ends, so the collector would only walk every live object again
    and again (a third of a 100k-row filter's time). Reentrant; restores the previous state.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def env_flag(name: str) -> bool | None:
    """An on/off environment variable: None when unset."""
    value = os.environ.get(name)
    if value is None:
        return None
    return value.strip().lower() not in ("", "0", "false", "no", "off")


# ----------------------------------------------------------------------------------------------
# fingerprints of rows
# ----------------------------------------------------------------------------------------------
class _MediaStamps:
    """Each media file's identity for fingerprints: size and mtime, or a content hash (cached per path)."""

    def __init__(self, root: str | None, hash_contents: bool):
        self.resolver = MediaResolver(root)
        self.hash_contents = hash_contents
        self._seen: dict[str, Any] = {}

    def __call__(self, cell: Any) -> Any:
        try:
            paths = media_cell_to_list(cell)
        except ValueError as err:
            return ["invalid", str(err)]
        return [self._stamp(p) for p in paths]

    def _stamp(self, path: str) -> Any:
        stamp = self._seen.get(path)
        if stamp is None:
            resolved = self.resolver.path(path)
            try:
                if self.hash_contents:
                    stamp = file_sha256(resolved)[:32]
                else:
                    st = os.stat(resolved)
                    stamp = [st.st_size, st.st_mtime_ns]
            except OSError:
                stamp = "missing"
            self._seen[path] = stamp = [resolved, stamp]
        return stamp


def row_digests(
    frame: Any, media_columns: Iterable[str] = (), media_root: str | None = None, hash_media: bool = False,
    records: list[dict] | None = None,
) -> list[str]:
    """One digest per row of ``frame``: its cells, and the identity of the files its media cells name.

    ``records``: the frame's rows as dicts, when the caller has them already.
    """
    import orjson

    from dataflow.utils.storage import _json_default, _raw_records_from_frame

    media = [c for c in dict.fromkeys(media_columns) if c is not None and c in frame.columns]
    stamps = _MediaStamps(media_root, hash_media)
    option = orjson.OPT_SORT_KEYS | orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS
    out = []
    for record in records if records is not None else _raw_records_from_frame(frame):
        if media:
            record = {**record, "\x00media": [stamps(record.get(c)) for c in media]}
        try:
            encoded = orjson.dumps(record, option=option, default=_json_default)
        except TypeError:  # ints wider than 64 bits
            encoded = json.dumps(record, sort_keys=True, default=_json_default, ensure_ascii=False).encode("utf-8")
        out.append(hashlib.blake2b(encoded, digest_size=12).hexdigest())
    return out


def data_fingerprint(columns: Sequence[Any], digests: Sequence[str]) -> str:
    """A frame's fingerprint from its column names and row digests (row order matters)."""
    digest = hashlib.sha256(json.dumps([str(c) for c in columns]).encode())
    digest.update("\n".join(digests).encode())
    return digest.hexdigest()[:32]


def file_sha256(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


# ----------------------------------------------------------------------------------------------
# the lock
# ----------------------------------------------------------------------------------------------
def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


class StepLock:
    """An exclusive lock on one step file, with a record of who holds it.

    ``<path>.lock`` is locked with ``filelock`` (``flock`` on Unix: the OS releases it when the
    holding process dies, however it dies); ``<path>.lock.json`` says who holds it, for the message
    another run gets.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.lock_file = Path(str(path) + LOCK_SUFFIX)
        self.owner_file = Path(str(path) + OWNER_SUFFIX)
        self._lock: Any = None

    def owner(self) -> dict | None:
        """The recorded holder (validated), or None."""
        try:
            data = json.loads(self.owner_file.read_bytes())
        except (OSError, ValueError):
            return None
        if not (isinstance(data, dict) and isinstance(data.get("pid"), int) and isinstance(data.get("host"), str)):
            return None
        return data

    @staticmethod
    def describe(owner: dict | None) -> str:
        if owner is None:
            return "a process that left no record"
        return f"pid {owner['pid']} on host {owner['host']}, started {owner.get('started', '?')}"

    def acquire(self) -> None:
        try:
            import filelock
        except ImportError:  # pragma: no cover - a core dependency
            from dataflow.errors import MissingDependencyError

            raise MissingDependencyError("filelock", "test", "Locking step files") from None
        self.lock_file.parent.mkdir(parents=True, exist_ok=True)
        lock = filelock.FileLock(str(self.lock_file), timeout=0)
        try:
            lock.acquire()
        except filelock.Timeout:
            owner = self.owner()
            raise StepBusyError(
                f"another run is writing {self.path}: {self.describe(owner)}. Lock file: {self.lock_file}. "
                "Wait for that run to finish, stop it, or give this pipeline another cache_path."
            ) from None
        self._lock = lock
        previous = self.owner()
        if previous is not None:
            gone = previous["host"] == socket.gethostname() and not _pid_alive(previous["pid"])
            logger.info(
                "took over the lock of %s from %s%s", self.path, self.describe(previous),
                " (no longer running)" if gone else " (it ended without releasing it)",
            )
        record = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds"),
        }
        atomic_write_bytes(self.owner_file, json.dumps(record).encode())

    def release(self) -> None:
        if self._lock is None:
            return
        with contextlib.suppress(OSError):
            self.owner_file.unlink()
        self._lock.release()
        self._lock = None

    def __enter__(self) -> "StepLock":
        self.acquire()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release()


# ----------------------------------------------------------------------------------------------
# the journal of finished rows
# ----------------------------------------------------------------------------------------------
RowSchema = dict  # column -> tuple of accepted types (None for null)


def _matches(value: Any, kinds: tuple) -> bool:
    for kind in kinds:
        if kind is None:
            if value is None:
                return True
        elif isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
            return True
    return False


@dataclass
class JournalReport:
    """What reading a journal kept and skipped."""

    rows: dict[int, dict] = field(default_factory=dict)
    unreadable: int = 0
    other_data: int = 0
    bad_shape: int = 0
    discarded: str | None = None  # why the whole journal was set aside

    @property
    def skipped(self) -> int:
        return self.unreadable + self.other_data + self.bad_shape


class Journal:
    """Rows finished so far by one step, appended as they finish (flushed at once, fsynced at most
    every ``fsync_seconds``) to ``path``.

    Line 1 is the header ``{"journal": 2, "operator": ..., "settings": ...}``; each further line is
    ``{"i": row index, "d": digest of input row i, "o": {column: value}}``.
    """

    def __init__(self, path: str | os.PathLike, operator: str, settings_key: str, digests: Sequence[str], schema: RowSchema):
        self.path = Path(path)
        self.operator = operator
        self.settings_key = settings_key
        self.digests = digests
        self.schema = {k: tuple(v) if isinstance(v, (tuple, list)) else (v,) for k, v in schema.items()}
        self.saved = 0  # rows appended (and flushed to the OS) by this process
        self.fsync_seconds = JOURNAL_FSYNC_SECONDS
        self._synced = 0.0
        self._fh: Any = None

    def _header(self) -> dict:
        return {"journal": _JOURNAL_VERSION, "operator": self.operator, "settings": self.settings_key}

    def _valid_output(self, out: Any) -> bool:
        return (
            isinstance(out, dict)
            and out.keys() == self.schema.keys()
            and all(_matches(out[k], kinds) for k, kinds in self.schema.items())
        )

    def load(self) -> JournalReport:
        """Finished rows by index, each checked against the input row it claims to answer."""
        report = JournalReport()
        try:
            fh = open(self.path, "rb")
        except FileNotFoundError:
            return report
        with fh:
            try:
                header = json.loads(fh.readline())
            except ValueError:
                header = None
            if header != self._header():
                report.discarded = "it was written by another operator or with other settings" if isinstance(
                    header, dict
                ) else "its header is unreadable"
                return report
            total = len(self.digests)
            for line in fh:
                try:
                    row = json.loads(line)
                except ValueError:
                    report.unreadable += 1
                    continue
                if not isinstance(row, dict) or not isinstance(row.get("i"), int) or isinstance(row["i"], bool):
                    report.bad_shape += 1
                elif not (0 <= row["i"] < total) or row.get("d") != self.digests[row["i"]]:
                    report.other_data += 1
                elif not self._valid_output(row.get("o")):
                    report.bad_shape += 1
                else:
                    report.rows.setdefault(row["i"], row["o"])
        return report

    def open(self, resume: bool) -> None:
        """Start appending; without ``resume`` any existing journal is replaced."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if resume and self.path.exists():
            self._truncate_torn_tail()
            self._fh = open(self.path, "ab")
            return
        self._fh = open(self.path, "wb")
        self._write([self._header()], sync=True)
        fsync_dir(self.path.parent)

    def _truncate_torn_tail(self) -> None:
        with open(self.path, "rb+") as fh:
            size = fh.seek(0, os.SEEK_END)
            if not size:
                return
            # Find the last newline without reading a large journal whole.
            end = size
            while end > 0:
                start = max(0, end - 65536)
                fh.seek(start)
                block = fh.read(end - start)
                if end == size and block.endswith(b"\n"):
                    return
                cut = block.rfind(b"\n")
                if cut >= 0:
                    fh.truncate(start + cut + 1)
                    return
                end = start
            fh.truncate(0)

    def _write(self, rows: Iterable[dict], sync: bool = False) -> None:
        """Append ``rows``; flushed to the OS at once (a killed process loses nothing written), and
        fsynced at most every ``fsync_seconds`` (a machine crash loses at most that much)."""
        payload = b"".join(_journal_line(r) for r in rows)
        self._fh.write(payload)
        self._fh.flush()
        now = time.monotonic()
        if sync or now - self._synced >= self.fsync_seconds:
            os.fsync(self._fh.fileno())
            self._synced = now

    def append(self, outputs: dict[int, dict]) -> None:
        """Append finished rows (index -> outputs) durably."""
        if outputs:
            self._write({"i": i, "d": self.digests[i], "o": o} for i, o in outputs.items())
            self.saved += len(outputs)

    def close(self) -> None:
        """Close; an error here (e.g. the disk is full) is logged, never raised over the original one."""
        if self._fh is not None:
            fh, self._fh = self._fh, None
            try:
                fh.flush()
                os.fsync(fh.fileno())
                fh.close()
            except OSError as err:
                logger.debug("closing %s: %s", self.path, err)

    def remove(self) -> None:
        self.close()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


# ----------------------------------------------------------------------------------------------
# the step
# ----------------------------------------------------------------------------------------------
class RowStream:
    """What ``DurableStep.map_rows`` feeds when the work is an engine that takes rows while it runs.

    ``submit(indices, prepared)`` hands it a prepared chunk (row indices and what ``prepare``
    made of them); ``poll()`` advances the engine and returns the rows that finished since, by
    index, each as its outputs dict; ``pending`` counts rows submitted and not yet returned;
    ``close()`` drops what is still in flight.
    """

    pending: int = 0

    def submit(self, indices: list[int], prepared: Any) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def poll(self) -> dict[int, dict]:  # pragma: no cover - interface
        raise NotImplementedError

    def close(self) -> None:  # pragma: no cover - interface
        pass


@dataclass
class MapStats:
    """What ``DurableStep.map_rows`` did."""

    total: int = 0
    reused: int = 0
    compute_seconds: float = 0.0
    computed_indices: list[int] = field(default_factory=list)

    @property
    def computed(self) -> int:
        return len(self.computed_indices)


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
        self.settings_key = fingerprint({"operator": operator, "settings": settings})
        self.key = ""
        self.stats = MapStats()
        self._records: list[dict] | None = None
        self._locks: list[StepLock] = []

    # -- lifecycle -------------------------------------------------------------------------------
    def __enter__(self) -> "DurableStep":
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
        return Path(str(self.out_path) + META_SUFFIX)

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
            from dataflow.utils.storage import _raw_records_from_frame

            self._records = _raw_records_from_frame(self.frame)
        return self._records

    def _fingerprint_input(self) -> None:
        if not self.key:
            self.digests = row_digests(
                self.frame, self.media_columns, self.media_root, self.hash_media, records=self.records
            )
            self.key = fingerprint(self.settings_key, data_fingerprint(self.frame.columns, self.digests))

    # -- the cache -------------------------------------------------------------------------------
    def reuse(self) -> bool:
        """True when the step file exists, was made from exactly these inputs and is unchanged since."""
        if self.out_path is None:
            return False
        self._fingerprint_input()
        if self.force:
            return False
        reason = self._stale_reason()
        if reason is None:
            logger.info(
                "%s: reused the cached result %s (inputs and settings unchanged; set %s=1 to recompute)",
                self.operator, self.out_path, FORCE_ENV,
            )
            return True
        if reason:
            level = logging.WARNING if "changed since" in reason else logging.INFO
            logger.log(level, "%s: recomputing %s: %s", self.operator, self.out_path, reason)
        return False

    def _stale_reason(self) -> str | None:
        """Why the cached step cannot be reused ("" when there simply is none), or None if it can."""
        if not self.out_path.exists() and not self.meta_path.exists():
            return ""
        if not self.meta_path.exists():
            return f"it has no {META_SUFFIX} record of what it was made from"
        try:
            meta = json.loads(self.meta_path.read_bytes())
        except (OSError, ValueError) as err:
            return f"its {META_SUFFIX} is unreadable ({err})"
        expected = {"meta": int, "operator": str, "fingerprint": str, "rows": int, "size": int, "sha256": str}
        if not isinstance(meta, dict) or any(not isinstance(meta.get(k), t) for k, t in expected.items()):
            return f"its {META_SUFFIX} is not a record this version wrote"
        if meta["fingerprint"] != self.key:
            return "it was made from other input data or settings"
        try:
            size = self.out_path.stat().st_size
        except FileNotFoundError:
            return "the step file is missing"
        if size != meta["size"]:
            return f"the step file changed since it was written ({size} bytes, {meta['size']} recorded)"
        if file_sha256(self.out_path) != meta["sha256"]:
            return "the step file changed since it was written (its SHA-256 differs from the record)"
        return None

    # -- durable per-row work --------------------------------------------------------------------
    def map_rows(
        self,
        compute: Callable[[Any], list[dict]],
        schema: RowSchema,
        *,
        prepare: Callable[[list[dict]], Any] | None = None,
        chunk_size: int = 256,
        show_progress: bool = True,
        stream: "RowStream | None" = None,
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
        done: dict[int, dict] = {}
        journal = None
        if self.out_path is not None:
            journal = Journal(self.journal_path, self.operator, self.settings_key, self.digests, schema)
            if not self.force:
                report = journal.load()
                done = report.rows
                self._report_journal(journal, report)
        todo = [i for i in range(total) if i not in done]
        stats = self.stats = MapStats(total=total, reused=len(done))
        if not todo:
            return [done[i] for i in range(total)]
        if journal is not None:
            journal.open(resume=bool(done))
        if done:
            logger.info("%s: resuming, %d of %d rows already done", self.operator, len(done), total)
        records = self.records
        prepare = prepare or (lambda rows: rows)
        # A small first chunk gets the engine going while the next chunk is prepared.
        first = min(chunk_size, max(8, chunk_size // 8))
        chunks = [todo[:first]] + [todo[s : s + chunk_size] for s in range(first, len(todo), chunk_size)]
        chunks = [c for c in chunks if c]
        show = show_progress and env_flag(PROGRESS_ENV) is not False
        bar = tqdm(total=total, initial=len(done), desc=self.operator, unit="row", disable=not show)
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dataflow-prefetch")

        def build(k: int) -> Any:
            return pool.submit(prepare, [records[i] for i in chunks[k]])

        def finish(finished: dict[int, dict]) -> None:
            if journal is not None:
                journal.append(finished)
            done.update(finished)
            stats.computed_indices.extend(finished)
            bar.update(len(finished))

        try:
            if stream is not None:
                self._feed(stream, chunks, build, finish, window or 2 * chunk_size)
            else:
                upcoming = build(0)
                for k, chunk in enumerate(chunks):
                    prepared = upcoming.result()
                    upcoming = build(k + 1) if k + 1 < len(chunks) else None
                    began = time.perf_counter()
                    outputs = compute(prepared)
                    stats.compute_seconds += time.perf_counter() - began
                    if len(outputs) != len(chunk):
                        raise DataFlowError(f"{self.operator}: got {len(outputs)} results for {len(chunk)} rows")
                    finish(dict(zip(chunk, outputs)))
        except BaseException as err:
            bar.close()
            if journal is not None:
                self._stopped(err, journal, len(done), total)
            raise
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
        bar.close()
        if journal is not None:
            journal.close()
        return [done[i] for i in range(total)]

    def _feed(self, stream: "RowStream", chunks: list[list[int]], build: Callable[[int], Any],
              finish: Callable[[dict[int, dict]], None], window: int) -> None:
        """Keep ``stream`` fed from the prepared chunks; journal rows as they finish."""
        stats = self.stats
        k, upcoming = 0, build(0)
        try:
            while k < len(chunks) or stream.pending:
                # Take the next prepared chunk while the engine has room, without waiting for the
                # preparation thread unless the engine would otherwise sit idle.
                while k < len(chunks) and stream.pending < window and (upcoming.done() or not stream.pending):
                    prepared = upcoming.result()
                    upcoming = build(k + 1) if k + 1 < len(chunks) else None
                    began = time.perf_counter()
                    stream.submit(chunks[k], prepared)
                    stats.compute_seconds += time.perf_counter() - began
                    k += 1
                began = time.perf_counter()
                finished = stream.poll()
                stats.compute_seconds += time.perf_counter() - began
                if finished:
                    finish(finished)
        finally:
            stream.close()

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
            record_step_file(self.out_path, self.operator, self.key, len(out))
            with contextlib.suppress(FileNotFoundError):
                self.journal_path.unlink()
        return path


def record_step_file(path: str | os.PathLike, operator: str, key: str, rows: int) -> None:
    """Write ``<path>.meta.json``: what the step file was made from, and its size and digest as written."""
    path = Path(path)
    meta = {
        "meta": _META_VERSION,
        "operator": operator,
        "fingerprint": key,
        "rows": rows,
        "size": path.stat().st_size,
        "sha256": file_sha256(path),
    }
    atomic_write_bytes(str(path) + META_SUFFIX, json.dumps(meta).encode())
