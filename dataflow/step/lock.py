"""``StepLock``: one run per step file, and a record of who holds it."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from dataflow.errors import StepBusyError
from dataflow.utils.fs import atomic_write_bytes

logger = logging.getLogger(__name__)

LOCK_SUFFIX = ".lock"
OWNER_SUFFIX = ".lock.json"


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
