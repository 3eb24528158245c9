"""All operators; importing this package registers them in ``OPERATOR_REGISTRY``."""

from dataflow.operators import core_vision  # noqa: F401
