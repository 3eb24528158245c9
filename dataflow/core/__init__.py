"""The three contracts: operators, servings and storages."""

from dataflow.core.operator import OperatorABC, OperatorIO, require_columns
from dataflow.core.serving import (
    DEFAULT_SYSTEM_PROMPT,
    GenerationResult,
    LLMServingABC,
    ServingCapabilities,
    VLMServingABC,
)
from dataflow.core.storage import DataFlowStorage
from dataflow.core.registry import OPERATOR_REGISTRY, get_operator

__all__ = [
    "DEFAULT_SYSTEM_PROMPT",
    "OPERATOR_REGISTRY",
    "DataFlowStorage",
    "GenerationResult",
    "LLMServingABC",
    "OperatorABC",
    "OperatorIO",
    "ServingCapabilities",
    "VLMServingABC",
    "get_operator",
    "require_columns",
]
