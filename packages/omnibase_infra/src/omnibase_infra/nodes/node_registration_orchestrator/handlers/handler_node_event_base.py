"""Shared plumbing of the handlers of node-sent events (introspection, heartbeat)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar
from uuid import UUID

from omnibase_core.enums import EnumMessageCategory, EnumNodeKind
from omnibase_core.models.events import ModelEventEnvelope
from omnibase_infra.nodes.node_registration_orchestrator.handlers.handler_helpers import (
    check_clock_skew,
    require_payload,
)
from omnibase_infra.nodes.node_registration_orchestrator.models import ModelRegistrationSettings


class ProtocolNodeEvent(Protocol):
    """What a node-sent payload carries: the node, its epoch and its own timestamp."""

    @property
    def node_id(self) -> UUID: ...

    @property
    def epoch(self) -> int: ...

    @property
    def timestamp(self) -> datetime: ...


NodeEventT = TypeVar("NodeEventT", bound=ProtocolNodeEvent)


class HandlerNodeEventBase(Generic[NodeEventT]):
    """Identity, routing properties and payload acceptance of a node-event handler.

    Subclasses pass their handler id and payload type and implement ``handle``; they call
    :meth:`_accept` first, which checks the payload type and the clock-skew rule. ``handle``
    reads through the transaction the engine hands it and never writes.
    """

    def __init__(
        self,
        settings: ModelRegistrationSettings,
        *,
        handler_id: str,
        payload_type: type[NodeEventT],
    ) -> None:
        self._settings = settings
        self._handler_id = handler_id
        self._payload_type = payload_type
        self._max_clock_skew = settings.max_clock_skew

    @property
    def handler_id(self) -> str:
        """The key the contract routes to."""
        return self._handler_id

    @property
    def category(self) -> EnumMessageCategory:
        """Node-sent messages are events."""
        return EnumMessageCategory.EVENT

    @property
    def message_types(self) -> set[str]:
        """The one payload type served."""
        return {self._payload_type.__name__}

    @property
    def node_kind(self) -> EnumNodeKind:
        """Runs in the registration orchestrator."""
        return EnumNodeKind.ORCHESTRATOR

    def _accept(self, envelope: ModelEventEnvelope[Any]) -> NodeEventT:
        """The envelope's payload, checked for type and clock skew against the envelope time.

        Raises ``ModelMessageRefusedError`` for a payload of another type
        (``invalid_payload``) or a timestamp beyond the clock-skew limit (``clock_skew``).
        """
        payload: NodeEventT = envelope.payload
        if not isinstance(payload, self._payload_type):
            require_payload(envelope, self._payload_type, self._handler_id)  # raises
        if payload.timestamp - envelope.envelope_timestamp > self._max_clock_skew:
            check_clock_skew(  # raises
                payload.timestamp,
                envelope.envelope_timestamp,
                self._max_clock_skew,
                handler_id=self._handler_id,
                envelope_id=envelope.envelope_id,
            )
        return payload
