"""How a routing section says its fan-out handlers should run."""

from enum import StrEnum


class EnumHandlerExecutionMode(StrEnum):
    """``execution_mode`` of a ``handler_routing`` section.

    Read from contracts (any letter case) and kept on the model. This framework always runs
    fan-out handlers ``SEQUENTIAL``: one after another in routing order, stopping at the first
    failure; ``PARALLEL`` is accepted but has no effect (``onex contract validate`` says so).
    """

    SEQUENTIAL = "sequential"
    PARALLEL = "parallel"
