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


class MissingDependencyError(DataFlowError, ImportError):
    """An optional dependency needed for the requested feature is not installed."""

    def __init__(self, package: str, extra: str, feature: str):
        self.package = package
        self.extra = extra
        super().__init__(
            f"{feature} needs the '{package}' package, which is not installed. "
            f"Install it with: pip install 'open-dataflow-mm[{extra}]'"
        )
