"""Pipelines: upstream DataFlow's ``PipelineABC`` with ``compile()``, and the plan it records."""

from dataflow.pipeline.pipeline import PipelineABC, PipelinePlan
from dataflow.pipeline.plan import PlannedStep, record_forward

__all__ = ["PipelineABC", "PipelinePlan", "PlannedStep", "record_forward"]
