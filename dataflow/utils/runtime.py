"""Small process-level helpers: on/off environment flags, pausing the garbage collector."""

from __future__ import annotations

import contextlib
import gc
import os
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
