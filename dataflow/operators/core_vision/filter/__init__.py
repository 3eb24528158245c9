"""Quality operators: image pre-filters and de-duplication (before the model), rule filters on the
ContextVQA records, a model check, and QA de-duplication."""

from dataflow.operators.core_vision.filter.contextvqa_filter import ContextVQAFilter
from dataflow.operators.core_vision.filter.image_deduplicator import ImageDeduplicator
from dataflow.operators.core_vision.filter.image_quality_filter import ImageQualityFilter
from dataflow.operators.core_vision.filter.qa_deduplicator import QADeduplicator
from dataflow.operators.core_vision.filter.verdicts import quality_summary
from dataflow.operators.core_vision.filter.vision_dependency_filter import VisionDependencyFilter

__all__ = [
    "ContextVQAFilter",
    "ImageDeduplicator",
    "ImageQualityFilter",
    "QADeduplicator",
    "VisionDependencyFilter",
    "quality_summary",
]
