"""The kinds of ONEX node."""

from enum import StrEnum


class EnumNodeKind(StrEnum):
    """Kind of node a handler runs in; values are the lower-case wire strings."""

    ORCHESTRATOR = "orchestrator"
    EFFECT = "effect"
    COMPUTE = "compute"
    REDUCER = "reducer"
