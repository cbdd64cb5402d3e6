"""The three kinds of message a node can receive."""

from enum import StrEnum


class EnumMessageCategory(StrEnum):
    """Category of a message: what it means for the receiver.

    ``EVENT`` reports a fact, ``COMMAND`` asks for an action, ``INTENT`` asks for a state change
    or side effect. Values are the lower-case strings used on the wire and in contracts.
    """

    EVENT = "event"
    COMMAND = "command"
    INTENT = "intent"
