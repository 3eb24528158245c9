"""Logging for the whole library, under one ``dataflow`` root logger.

The level comes from ``DATAFLOW_LOG_LEVEL`` (or upstream's ``DF_LOGGING_LEVEL``), INFO by default.
``get_logger()`` is kept for upstream scripts; library modules use ``logging.getLogger(__name__)``.
Nothing here runs on import: ``configure_logging`` and ``enable_script_defaults`` are called by the
entry points.
"""

from __future__ import annotations

import logging
import os
import sys
import types

SUCCESS = 25
logging.addLevelName(SUCCESS, "SUCCESS")

_ROOT = "dataflow"
_configured = False


def _success(self: logging.Logger, msg, *args, **kwargs) -> None:
    if self.isEnabledFor(SUCCESS):
        self._log(SUCCESS, msg, args, **kwargs)


def _level_from_env() -> int:
    raw = os.environ.get("DATAFLOW_LOG_LEVEL") or os.environ.get("DF_LOGGING_LEVEL") or "INFO"
    level = logging.getLevelName(raw.strip().upper())
    return level if isinstance(level, int) else logging.INFO


def configure_logging() -> None:
    """Give the ``dataflow`` logger a stderr handler and the level from the environment (once).

    Called by ``get_logger()`` and ``enable_script_defaults()``, so library messages show in a
    script without any setup; an application that configures logging itself can remove or
    replace the handler (or configure the ``dataflow`` logger first: a logger that has a handler
    already is left as it is).
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
    # upstream's loggers have ``.success()``; ours get it per instance, not by patching logging.Logger
    logger.success = types.MethodType(_success, logger)  # type: ignore[attr-defined]
    return logger


def enable_script_defaults() -> None:
    """What a script run wants, switched on where a run starts rather than on import.

    Logs go to stderr (``configure_logging``) and, in a script (not an interactive session or a
    notebook), an uncaught ``DataFlowError`` shows as its short message instead of chained
    tracebacks (``dataflow.errors.install_short_error_hook``, which leaves a hook someone else
    installed alone; ``DATAFLOW_DEBUG=1`` shows the traceback). Called by the ``dataflow`` command,
    by ``PipelineABC.compile()``, by ``RayPipelineRunner.run()`` and when an operator step starts
    (``DurableStep``), which is how
    upstream's unchanged ``context_vqa.py`` gets short errors: those are the only places that touch
    process-wide state (``sys.excepthook``), and only in a script.
    """
    configure_logging()
    main = sys.modules.get("__main__")
    if getattr(main, "__file__", None) and not hasattr(sys, "ps1") and not sys.flags.interactive:
        from dataflow.errors import install_short_error_hook

        install_short_error_hook()
