"""What became of an input message."""

from enum import StrEnum


class EnumMessageOutcome(StrEnum):
    """Every input message ends in exactly one of these; the counts add up to the input."""

    APPLIED = "applied"
    IGNORED = "ignored"
    DEAD_LETTERED = "dead_lettered"
