"""Lifecycle state of a registered node."""

from enum import StrEnum


class EnumRegistrationState(StrEnum):
    """State of a node in the registry; values are stored and printed as-is."""

    ACTIVE = "active"
    LIVENESS_EXPIRED = "liveness_expired"
    DEREGISTERED = "deregistered"
