"""How a contract's routing keys are matched against a message."""

from enum import StrEnum


class EnumHandlerRoutingStrategy(StrEnum):
    """Routing strategy of a ``handler_routing`` contract section.

    ``PAYLOAD_TYPE_MATCH`` matches the payload model's class name exactly, ``OPERATION_MATCH``
    the envelope's operation string exactly, ``TOPIC_PATTERN`` a glob against the whole topic.
    """

    PAYLOAD_TYPE_MATCH = "payload_type_match"
    OPERATION_MATCH = "operation_match"
    TOPIC_PATTERN = "topic_pattern"
