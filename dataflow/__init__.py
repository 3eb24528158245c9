"""dataflow: multimodal data generation pipelines on vision-language models.

Importing this package is cheap: no torch, transformers or vLLM is imported until a backend
is used.
"""

from dataflow.errors import DataFlowError
from dataflow.logger import get_logger
from dataflow.version import __version__

__all__ = ["DataFlowError", "__version__", "get_logger"]
