"""dataflow: multimodal data generation pipelines on vision-language models.

Importing this package is cheap: no torch, transformers or vLLM is imported until a backend
is used.
"""

from dataflow.errors import DataFlowError
from dataflow.logger import configure_logging, get_logger
from dataflow.version import __version__

configure_logging()

__all__ = ["DataFlowError", "__version__", "get_logger"]
