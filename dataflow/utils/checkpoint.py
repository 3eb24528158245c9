"""Durable partial results of a long step, so a crash loses at most the chunk in flight.

A partial file is JSON Lines beside the step file it will become: a header line with the step's
fingerprint and row count, then one line per finished row (``{"i": row_index, ...}``), appended and
fsynced chunk by chunk. A torn last line (the process died mid-write) is ignored on reading. A
partial file whose fingerprint differs from the current run's (other data, model or settings) is
discarded.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any, Iterable

from dataflow.utils.fs import fsync_dir

logger = logging.getLogger(__name__)


class PartialResults:
    """Rows finished so far by one step, kept in ``path``."""

    def __init__(self, path: str | os.PathLike, fingerprint: str, total: int):
        self.path = Path(path)
        self.fingerprint = fingerprint
        self.total = total
        self._fh: Any = None

    def load(self) -> dict[int, dict]:
        """Finished rows by index (empty when there is no usable partial file)."""
        if not self.path.exists():
            return {}
        done: dict[int, dict] = {}
        with open(self.path, "rb") as fh:
            header_line = fh.readline()
            try:
                header = json.loads(header_line)
            except ValueError:
                header = {}
            if header.get("fingerprint") != self.fingerprint or header.get("rows") != self.total:
                logger.info("discarding %s: it was written for other data or settings", self.path)
                return {}
            for line in fh:
                try:
                    row = json.loads(line)
                except ValueError:
                    break  # a torn last line from a crash mid-write
                if isinstance(row, dict) and isinstance(row.get("i"), int) and 0 <= row["i"] < self.total:
                    done[row["i"]] = row
        return done

    def open(self, resume: bool) -> None:
        """Start appending; without ``resume`` any existing partial file is replaced."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if resume and self.path.exists():
            self._truncate_torn_tail()
            self._fh = open(self.path, "ab")
            return
        self._fh = open(self.path, "wb")
        self._write([{"fingerprint": self.fingerprint, "rows": self.total}])
        fsync_dir(self.path.parent)

    def _truncate_torn_tail(self) -> None:
        data = self.path.read_bytes()
        if data and not data.endswith(b"\n"):
            with open(self.path, "rb+") as fh:
                fh.truncate(data.rfind(b"\n") + 1)

    def _write(self, rows: Iterable[dict]) -> None:
        payload = b"".join(json.dumps(r, ensure_ascii=False).encode("utf-8") + b"\n" for r in rows)
        self._fh.write(payload)
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def append(self, rows: list[dict]) -> None:
        """Append finished rows (each with ``"i"``) durably."""
        if rows:
            self._write(rows)

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def remove(self) -> None:
        self.close()
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass
