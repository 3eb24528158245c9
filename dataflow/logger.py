"""Logging for the whole library, under one ``dataflow`` root logger.

The level comes from ``DATAFLOW_LOG_LEVEL`` (or upstream's ``DF_LOGGING_LEVEL``), INFO by default.
``get_logger()`` is kept for upstream scripts; library modules use ``logging.getLogger(__name__)``.
"""

from __future__ import annotations

import logging
import os
import sys

SUCCESS = 25
logging.addLevelName(SUCCESS, "SUCCESS")

_ROOT = "dataflow"
_configured = False


def _success(self: logging.Logger, msg, *args, **kwargs) -> None:
    if self.isEnabledFor(SUCCESS):
        self._log(SUCCESS, msg, args, **kwargs)


# Every logger gets ``.success()``, so ``logging.getLogger("dataflow.x").success(...)`` works too.
logging.Logger.success = _success  # type: ignore[attr-defined]


def _level_from_env() -> int:
    raw = os.environ.get("DATAFLOW_LOG_LEVEL") or os.environ.get("DF_LOGGING_LEVEL") or "INFO"
    level = logging.getLevelName(raw.strip().upper())
    return level if isinstance(level, int) else logging.INFO


def configure_logging() -> None:
    """Give the ``dataflow`` logger a stderr handler and the level from the environment (once).

    Called when ``dataflow`` is imported, so library messages show without any setup; an
    application that configures logging itself can remove or replace the handler.
    """
    global _configured
    if _configured:
        return
    root = logging.getLogger(_ROOT)
    root.setLevel(_level_from_env())
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(
            logging.Formatter("%(asctime)s | %(levelname)-7s | %(name)s | %(message)s", "%Y-%m-%d %H:%M:%S")
        )
        root.addHandler(handler)
    _configured = True


def get_logger(name: str | None = None, level: int | str | None = None) -> logging.Logger:
    """Return the ``dataflow`` logger (or a child of it); it has a ``success`` level.

    Args:
        name: child name; ``None`` gives the root ``dataflow`` logger. Names outside the
            ``dataflow.`` tree are placed under it.
        level: optional level to set on the returned logger.
    """
    configure_logging()
    if not name or name == _ROOT:
        logger = logging.getLogger(_ROOT)
    elif name.startswith(_ROOT + "."):
        logger = logging.getLogger(name)
    else:
        logger = logging.getLogger(f"{_ROOT}.{name}")
    if level is not None:
        logger.setLevel(level)
    return logger
