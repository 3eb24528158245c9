"""Quality operators for ContextVQA records: rule filters, a model check, de-duplication."""

from dataflow.operators.core_vision.filter.contextvqa_filter import ContextVQAFilter
from dataflow.operators.core_vision.filter.qa_deduplicator import QADeduplicator
from dataflow.operators.core_vision.filter.verdicts import quality_summary
from dataflow.operators.core_vision.filter.vision_dependency_filter import VisionDependencyFilter

__all__ = ["ContextVQAFilter", "QADeduplicator", "VisionDependencyFilter", "quality_summary"]
