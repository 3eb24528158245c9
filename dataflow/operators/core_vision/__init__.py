"""Vision operators: generation (model-backed), refinement and quality filters."""

from dataflow.operators.core_vision.filter import (
    ContextVQAFilter,
    ImageDeduplicator,
    ImageQualityFilter,
    QADeduplicator,
    VisionDependencyFilter,
)
from dataflow.operators.core_vision.generate import PromptedVQAGenerator
from dataflow.operators.core_vision.refine import WikiQARefiner

__all__ = [
    "ContextVQAFilter",
    "ImageDeduplicator",
    "ImageQualityFilter",
    "PromptedVQAGenerator",
    "QADeduplicator",
    "VisionDependencyFilter",
    "WikiQARefiner",
]
