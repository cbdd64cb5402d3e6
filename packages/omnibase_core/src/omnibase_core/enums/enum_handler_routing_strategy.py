"""How a contract's routing keys are matched against a message."""

from __future__ import annotations

from enum import StrEnum
from typing import Final

#: Other names contracts use for a strategy: upstream ONEX's newer ``topic_match`` routes by the
#: envelope's topic, each entry naming the topic it serves, which ``topic_pattern`` does (a
#: topic without wildcards matches exactly itself).
_ALIASES: Final = {"topic_match": "topic_pattern"}


class EnumHandlerRoutingStrategy(StrEnum):
    """Routing strategy of a ``handler_routing`` contract section.

    ``PAYLOAD_TYPE_MATCH`` matches the payload model's class name exactly, ``OPERATION_MATCH``
    the envelope's operation string exactly, ``TOPIC_PATTERN`` a glob against the whole topic.
    ``topic_match`` (upstream's newer name) is read as ``TOPIC_PATTERN``:
    ``EnumHandlerRoutingStrategy("topic_match") is EnumHandlerRoutingStrategy.TOPIC_PATTERN``.
    """

    PAYLOAD_TYPE_MATCH = "payload_type_match"
    OPERATION_MATCH = "operation_match"
    TOPIC_PATTERN = "topic_pattern"

    @classmethod
    def _missing_(cls, value: object) -> EnumHandlerRoutingStrategy | None:
        """The member an alias (see ``_ALIASES``) stands for; ``None`` (a ``ValueError`` for
        the caller) for any other unknown value."""
        target = _ALIASES.get(value) if isinstance(value, str) else None
        return None if target is None else cls(target)
