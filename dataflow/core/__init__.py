"""The three contracts: operators, servings and storages."""

from dataflow.core.operator import OperatorABC, OperatorIO, require_columns
from dataflow.core.serving import DEFAULT_SYSTEM_PROMPT, GenerationResult, LLMServingABC, VLMServingABC
from dataflow.core.storage import DataFlowStorage
from dataflow.utils.registry import OPERATOR_REGISTRY, get_operator

__all__ = [
    "DEFAULT_SYSTEM_PROMPT",
    "OPERATOR_REGISTRY",
    "DataFlowStorage",
    "GenerationResult",
    "LLMServingABC",
    "OperatorABC",
    "OperatorIO",
    "VLMServingABC",
    "get_operator",
    "require_columns",
]
