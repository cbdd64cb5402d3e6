"""How a simulated node ends a simulated run."""

from enum import StrEnum


class EnumSimulatedFate(StrEnum):
    """The ground truth the demo checks the registry against.

    ``RUNNING`` nodes must end ``active``, ``CRASHED`` ones ``liveness_expired`` and
    ``SHUT_DOWN`` ones ``deregistered``.
    """

    RUNNING = "running"
    CRASHED = "crashed"
    SHUT_DOWN = "shut_down"
