"""dataflow: multimodal data generation pipelines on vision-language models.

Importing this package is cheap: no torch, transformers or vLLM is imported until a backend
is used.
"""

from dataflow.errors import DataFlowError, install_short_error_hook
from dataflow.logger import configure_logging, get_logger
from dataflow.version import __version__

configure_logging()
# A script that stops on a library error (a missing input file, a missing model) shows the
# message and its fix in a few lines rather than chained tracebacks (DATAFLOW_DEBUG=1: full).
install_short_error_hook()

__all__ = ["DataFlowError", "__version__", "get_logger"]
