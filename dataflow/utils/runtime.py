"""Small process-level helpers: on/off environment flags, pausing the garbage collector, the allocator."""

from __future__ import annotations

import contextlib
import gc
import os
import sys
from typing import Any


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


# glibc's mallopt() parameters, and the values a streaming step sets.
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 64 << 20
TRIM_THRESHOLD = 128 << 20
_tuned: bool | None = None


def keep_freed_memory(libc: Any = None) -> bool:
    """Let glibc's allocator keep freed blocks of up to ``TRIM_THRESHOLD`` bytes for the next ones.

    A streaming step allocates and frees the same large buffers chunk after chunk: NumPy arrays of
    a chunk's words and signatures, a chunk's encoded bytes. By default glibc gives blocks over a
    threshold straight back to the system (``mmap``/``munmap``) and trims the heap when a few MiB
    are free at its top, so the next chunk's buffers come as fresh pages, each zeroed on its first
    write: on a virtual machine that page-faulting was 10 to 30% of the de-duplicator's time. Here
    blocks under ``MMAP_THRESHOLD`` come from the heap and up to ``TRIM_THRESHOLD`` free bytes stay
    there. The peak memory does not change (freed memory is reused, not added to).

    Once per process; glibc on Linux only (elsewhere nothing happens). Left alone when the user set
    the allocator up (``GLIBC_TUNABLES`` naming malloc, ``MALLOC_MMAP_THRESHOLD_``,
    ``MALLOC_TRIM_THRESHOLD_``) or ``DATAFLOW_KEEP_FREED_MEMORY=0``. ``libc``: the C library to call
    (tests). Returns whether the thresholds were set.
    """
    global _tuned
    if libc is not None:
        return _set_thresholds(libc)
    if _tuned is None:
        _tuned = _set_thresholds(_c_library())
    return _tuned


def _set_thresholds(libc: Any) -> bool:
    user_set = ("malloc" in os.environ.get("GLIBC_TUNABLES", "") or "MALLOC_MMAP_THRESHOLD_" in os.environ
                or "MALLOC_TRIM_THRESHOLD_" in os.environ)
    mallopt = getattr(libc, "mallopt", None)
    if mallopt is None or user_set or env_flag("DATAFLOW_KEEP_FREED_MEMORY") is False:
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))


def _c_library() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        return ctypes.CDLL(None)
    except OSError:
        return None
