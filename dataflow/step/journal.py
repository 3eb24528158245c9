"""``Journal``: the rows a step has finished so far, appended as they finish and checked when read back.

Line 1 is a header naming the operator and the settings' fingerprint; every further line carries a
row's index, the digest of the input row it answers and the row's outputs. Reading skips, and
counts, unreadable lines, rows of other data and rows of the wrong shape; the rows around them are
kept.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from dataflow.step.fingerprint import RowDigests
from dataflow.utils.fs import fsync_dir

logger = logging.getLogger(__name__)

JOURNAL_SUFFIX = ".partial.jsonl"
JOURNAL_FSYNC_SECONDS = 1.0
_JOURNAL_VERSION = 2


def _journal_line(row: dict) -> bytes:
    import orjson

    try:
        return orjson.dumps(row, option=orjson.OPT_APPEND_NEWLINE)
    except TypeError:  # ints wider than 64 bits
        return json.dumps(row, ensure_ascii=False).encode("utf-8") + b"\n"


def _loads(line: bytes) -> Any:
    import orjson

    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        return json.loads(line)  # ints wider than 64 bits; raises ValueError when unreadable


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

    done: int = 0  # finished rows of the right shape held; their data is checked as the input is read
    unreadable: int = 0
    other_data: int = 0
    bad_shape: int = 0
    discarded: str | None = None  # why the whole journal was set aside

    @property
    def skipped(self) -> int:
        return self.unreadable + self.other_data + self.bad_shape


class JournalIndex:
    """A journal's finished rows by index: the offset of each row's line and the digest of the input
    row it answered, in growing NumPy arrays (the last line of a row wins)."""

    def __init__(self, report: JournalReport):
        import numpy as np

        self.report = report
        self.offsets = np.full(0, -1, dtype=np.int64)
        self.digests = np.zeros((0, RowDigests.SIZE), dtype=np.uint8)

    def add(self, i: int, offset: int, digest: str, valid: bool = True) -> None:
        """Row ``i``'s line at ``offset`` answers the input row of ``digest`` (``valid``: its outputs have
        the journal's shape; an invalid one is counted when its row is reached)."""
        import numpy as np

        if i >= len(self.offsets):
            size = max(i + 1, 2 * len(self.offsets), 1024)
            self.offsets = np.concatenate([self.offsets, np.full(size - len(self.offsets), -1, dtype=np.int64)])
            self.digests = np.concatenate([self.digests, np.zeros((size - len(self.digests), RowDigests.SIZE), dtype=np.uint8)])
        try:
            raw = bytes.fromhex(digest)
        except ValueError:
            self.report.other_data += 1
            return
        if not valid and self.offsets[i] >= 0:  # a finished row's line stands; this one is counted now
            self.report.bad_shape += 1
            return
        if self.offsets[i] < 0 and valid:
            self.report.done += 1
        self.offsets[i] = offset if valid else -2 - offset
        self.digests[i] = np.frombuffer(raw.ljust(RowDigests.SIZE, b"\0")[: RowDigests.SIZE], dtype=np.uint8)

    def matching(self, digests: Any, total: int) -> int:
        """How many held rows answer exactly these input rows (``digests``: a ``RowDigests`` of all of them)."""
        import numpy as np

        held = np.nonzero(self.offsets[:total] >= 0)[0]
        return sum(1 for i in held.tolist() if self.digests[i].tobytes() == digests.raw(i))

    def find(self, i: int, digest: bytes) -> int | None:
        """The offset of row ``i``'s line if the journal holds it for an input row of ``digest``."""
        if i < len(self.offsets) and self.offsets[i] != -1:
            if self.digests[i].tobytes() != digest:
                self.report.other_data += 1
            elif self.offsets[i] < -1:
                self.report.bad_shape += 1
            else:
                return int(self.offsets[i])
        return None


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
        self._reader: Any = None

    def _header(self) -> dict:
        return {"journal": _JOURNAL_VERSION, "operator": self.operator, "settings": self.settings_key}

    def _valid_output(self, out: Any) -> bool:
        return (
            isinstance(out, dict)
            and out.keys() == self.schema.keys()
            and all(_matches(out[k], kinds) for k, kinds in self.schema.items())
        )

    def index(self) -> "JournalIndex":
        """Where each finished row's line is, and the digest of the input row it answers, for rows
        checked as the input is read (``JournalIndex.find``): 20 bytes a row, not its outputs."""
        report = JournalReport()
        index = JournalIndex(report)
        for offset, row in self._lines(report):
            if row["i"] < 0 or not isinstance(row.get("d"), str):
                report.other_data += 1
            else:
                index.add(row["i"], offset, row["d"], self._valid_output(row.get("o")))
        return index

    def _lines(self, report: JournalReport) -> Iterator[tuple[int, dict]]:
        """(byte offset, row) of every line of the right shape; the others are counted in ``report``."""
        try:
            fh = open(self.path, "rb")
        except FileNotFoundError:
            return
        with fh:
            first = fh.readline()
            try:
                header = json.loads(first)
            except ValueError:
                header = None
            if header != self._header():
                report.discarded = "it was written by another operator or with other settings" if isinstance(
                    header, dict
                ) else "its header is unreadable"
                return
            offset = len(first)
            for line in fh:
                start, offset = offset, offset + len(line)
                try:
                    row = _loads(line)
                except ValueError:
                    report.unreadable += 1
                    continue
                if not isinstance(row, dict) or not isinstance(row.get("i"), int) or isinstance(row["i"], bool):
                    report.bad_shape += 1
                    continue
                yield start, row

    def output_at(self, offset: int) -> dict:
        """The outputs on the line at byte ``offset`` (from ``load(index_only=True)``)."""
        if self._reader is None:
            self._reader = open(self.path, "rb")
        self._reader.seek(offset)
        return _loads(self._reader.readline())["o"]

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
        if self._reader is not None:
            reader, self._reader = self._reader, None
            reader.close()
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
