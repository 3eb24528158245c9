"""The library's exceptions: one base class, one subclass per kind of user error."""


class DataFlowError(Exception):
    """Base class of every error this library raises on purpose."""


class StorageError(DataFlowError):
    """A storage cannot read or write what it was asked to (missing file, bad format, misuse)."""


class StepBusyError(StorageError):
    """Another run holds the lock of the step file this run would write (or read)."""


class InputDataError(DataFlowError, ValueError):
    """The input data as a whole cannot be processed (e.g. a required column is missing)."""


class ServingError(DataFlowError):
    """A model serving could not be set up or failed as a whole."""


class PipelineCompileError(DataFlowError):
    """``PipelineABC.compile()`` found problems that would stop the run later: one message lists them all."""

    def __init__(self, pipeline: str, problems: list[str]):
        self.problems = list(problems)
        shown = self.problems[:_MAX_PROBLEMS_SHOWN]
        more = len(self.problems) - len(shown)
        lines = [f"{pipeline}.compile() found {len(self.problems)} problem(s); nothing was run:"]
        lines += [f"  - {p}" for p in shown]
        if more:
            lines.append(f"  ... and {more} more")
        super().__init__("\n".join(lines))


_MAX_PROBLEMS_SHOWN = 5


class MissingDependencyError(DataFlowError, ImportError):
    """An optional dependency needed for the requested feature is not installed."""

    def __init__(self, package: str, extra: str, feature: str):
        self.package = package
        self.extra = extra
        super().__init__(
            f"{feature} needs the '{package}' package, which is not installed. "
            f"Install it with: pip install 'open-dataflow-mm[{extra}]'"
        )


DEBUG_ENV = "DATAFLOW_DEBUG"


def _debug() -> bool:
    import os

    return os.environ.get(DEBUG_ENV, "").strip().lower() not in ("", "0", "false", "no", "off")


def short_error_hook(exc_type: type, exc: BaseException, tb: object) -> None:
    """``sys.excepthook`` that shows a library error as its message alone, without tracebacks.

    A ``DataFlowError`` is a user error whose message names the problem and the fix; the chained
    tracebacks above it bury that line. Anything else, or ``DATAFLOW_DEBUG=1``, gets Python's report.
    """
    import sys

    if issubclass(exc_type, DataFlowError) and not _debug():
        sys.stderr.write(f"\ndataflow: {exc_type.__name__}: {exc}\n(set {DEBUG_ENV}=1 to see the full traceback)\n")
        return
    sys.__excepthook__(exc_type, exc, tb)  # type: ignore[arg-type]


def install_short_error_hook() -> None:
    """Use ``short_error_hook`` unless the application installed its own hook."""
    import sys

    if sys.excepthook is sys.__excepthook__:
        sys.excepthook = short_error_hook
