from dataflow.operators.core_vision.generate.prompted_vqa_generator import PromptedVQAGenerator

__all__ = ["PromptedVQAGenerator"]
