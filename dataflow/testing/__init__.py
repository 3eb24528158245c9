"""Helpers for tests and benchmarks (imports transformers only when called)."""

from dataflow.testing.fake_serving import EchoServing
from dataflow.testing.tiny_qwen2_5_vl import build_random_qwen2_5_vl_3b, build_tiny_qwen2_5_vl
from dataflow.testing.tiny_vlm import TINY_VLM_FAMILIES, build_tiny_vlm

__all__ = ["EchoServing", "TINY_VLM_FAMILIES", "build_random_qwen2_5_vl_3b", "build_tiny_qwen2_5_vl", "build_tiny_vlm"]
