"""Scale-out on Ray Data: ``RayPipelineRunner(pipeline).run()`` (imports ray only when run)."""

from dataflow.ray.runner import RayPipelineRunner, plan_pipeline

__all__ = ["RayPipelineRunner", "plan_pipeline"]
