"""Why a message was dead-lettered."""

from enum import StrEnum


class EnumDeadLetterReason(StrEnum):
    """Machine-readable cause of a dead letter; the detail text says the specifics."""

    UNPARSEABLE = "unparseable"
    INVALID_ENVELOPE = "invalid_envelope"
    INVALID_PAYLOAD = "invalid_payload"
    UNROUTABLE = "unroutable"
    HANDLER_ERROR = "handler_error"
    CLOCK_SKEW = "clock_skew"
    MISROUTED_PARTITION = "misrouted_partition"
    STORE_REJECTED = "store_rejected"
