"""Vision operators: generation (model-backed) and refinement (CPU only)."""

from dataflow.operators.core_vision.generate import PromptedVQAGenerator
from dataflow.operators.core_vision.refine import WikiQARefiner

__all__ = ["PromptedVQAGenerator", "WikiQARefiner"]
