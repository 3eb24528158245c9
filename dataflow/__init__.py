"""dataflow: multimodal data generation pipelines on vision-language models.

Importing this package is cheap and changes nothing outside it: no torch, transformers or vLLM is
imported until a backend is used, no handler or hook is installed. What a script wants by default
(log lines on stderr, library errors shown as a short message) is switched on by
``dataflow.logger.enable_script_defaults()``: the CLI, ``PipelineABC.compile()`` and the first
operator step of a run call it (see its docstring).
"""

from dataflow.errors import DataFlowError
from dataflow.logger import get_logger
from dataflow.version import __version__

__all__ = ["DataFlowError", "__version__", "get_logger"]
