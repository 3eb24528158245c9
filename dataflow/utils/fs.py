"""Durable file writes: a reader never sees a half-written file."""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from pathlib import Path
from typing import Iterator

logger = logging.getLogger(__name__)

_TEMP_SUFFIX = ".tmp"


def current_umask() -> int:
    """The process's umask, read without changing it where the OS allows (Linux ``/proc``)."""
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)  # elsewhere: read it by setting it, then put it back
    os.umask(mask)
    return mask


def _temp_prefix(target: Path) -> str:
    return f".{target.name}."


def remove_stale_temp_files(path: str | os.PathLike) -> int:
    """Remove temporary files that a writer of ``path`` left when it was killed mid-write.

    Only call this while holding the lock that makes you ``path``'s only writer. Returns how
    many files were removed.
    """
    target = Path(path)
    removed = 0
    try:
        names = os.listdir(target.parent)
    except OSError:
        return 0
    prefix = _temp_prefix(target)
    for name in names:
        if name.startswith(prefix) and name.endswith(_TEMP_SUFFIX):
            with contextlib.suppress(OSError):
                os.unlink(target.parent / name)
                removed += 1
    if removed:
        logger.info("removed %d temporary file(s) of %s left by an interrupted write", removed, target)
    return removed


def fsync_dir(folder: str | os.PathLike) -> None:
    """Make a rename or a new file in ``folder`` durable (best effort where unsupported)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class AtomicFile:
    """A file written in pieces that appears at ``path`` only when ``commit()`` is called, whole.

    It is written to a temporary file in ``path``'s folder (named so that
    ``remove_stale_temp_files`` finds it after a crash), with the permissions a plain ``open()``
    would give (``0o666`` less the umask), not ``mkstemp``'s private ``0o600``: colleagues on a
    shared machine can read the results. ``commit()`` fsyncs it, replaces ``path`` and fsyncs the
    folder; ``abort()`` removes it and leaves ``path`` as it was.
    """

    def __init__(self, path: str | os.PathLike, mode: str = "wb"):
        self.target = Path(path)
        self.target.parent.mkdir(parents=True, exist_ok=True)
        fd, self.tmp = tempfile.mkstemp(prefix=_temp_prefix(self.target), suffix=_TEMP_SUFFIX, dir=self.target.parent)
        try:
            os.fchmod(fd, 0o666 & ~current_umask())
        except BaseException:
            os.close(fd)
            raise
        self.fh = os.fdopen(fd, mode) if mode else None
        if self.fh is None:
            os.close(fd)

    def commit(self) -> None:
        if self.fh is not None:
            self.fh.flush()
            os.fsync(self.fh.fileno())
            self.fh.close()
        else:
            with open(self.tmp, "rb+") as fh:
                os.fsync(fh.fileno())
        os.replace(self.tmp, self.target)
        fsync_dir(self.target.parent)

    def abort(self) -> None:
        if self.fh is not None:
            with contextlib.suppress(OSError):
                self.fh.close()
        with contextlib.suppress(OSError):
            os.unlink(self.tmp)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[str]:
    """Yield a temporary path in ``path``'s folder; on success it replaces ``path`` atomically
    (``AtomicFile``: fsynced, umask permissions, the folder fsynced); on error ``path`` is left as it was."""
    atomic = AtomicFile(path, mode="")
    try:
        yield atomic.tmp
        atomic.commit()
    except BaseException:
        atomic.abort()
        raise


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically and durably."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(data)
