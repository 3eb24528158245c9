"""Prompt text lives here, never inside operators."""

from dataflow.prompts.context_vqa import SKVQA_PROMPT

__all__ = ["SKVQA_PROMPT"]
