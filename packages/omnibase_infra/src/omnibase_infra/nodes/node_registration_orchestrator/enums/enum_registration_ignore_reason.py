"""Why the registration orchestrator ignored a message."""

from enum import StrEnum, unique


@unique
class EnumRegistrationIgnoreReason(StrEnum):
    """The code of an ``ignored`` outcome: the text before the first ``:`` of the handler's
    ``ignored_reason``, and the key of the run summary's ``ignored_by_reason``."""

    STALE_EPOCH = "stale_epoch"
    OUT_OF_ORDER = "out_of_order"
    SHUTDOWN_OF_UNKNOWN_NODE = "shutdown_of_unknown_node"
    SHUTDOWN_OF_DEREGISTERED_NODE = "shutdown_of_deregistered_node"
    INTROSPECTION_ALREADY_REQUESTED = "introspection_already_requested"
    STALE_TICK = "stale_tick"
