"""Decides what a node's heartbeat does to its registration."""

from __future__ import annotations

import time
from typing import Any

from omnibase_core.enums import EnumMessageCategory, EnumNodeKind
from omnibase_core.models.dispatch import ModelHandlerOutput
from omnibase_core.models.events import ModelEventEnvelope
from omnibase_infra.enums import EnumLifecycleEventType, EnumRegistrationState
from omnibase_infra.nodes.node_registration_orchestrator.handlers.handler_helpers import (
    IGNORED_INTROSPECTION_ALREADY_REQUESTED,
    EventSpec,
    build_events,
    build_output,
    check_clock_skew,
    latest,
    require_payload,
    stale_epoch_reason,
)
from omnibase_infra.nodes.node_registration_orchestrator.models import (
    ModelIntentRecordIntrospectionRequest,
    ModelIntentUpsertNode,
    ModelNodeHeartbeatEvent,
    ModelRegistrationSettings,
)
from omnibase_infra.stores import ProtocolRegistrationStore


class HandlerNodeHeartbeat:
    """Turns ``ModelNodeHeartbeatEvent`` into registration decisions (DESIGN 6.2).

    - ``active`` node: ``last_heartbeat_at = max(stored, node timestamp)`` and
      ``liveness_deadline = max(stored, now + liveness_window)``: neither ever moves backward;
    - an epoch older than the stored one: ignored with the reason;
    - ``liveness_expired``, ``deregistered`` or unknown node: no state change; emits
      ``NodeIntrospectionRequested`` unless one was requested less than ``liveness_interval``
      ago (then ignored with the reason).

    ``now`` is the envelope timestamp; a node timestamp beyond the clock-skew limit is
    dead-lettered as ``clock_skew``. Reads through the store's active transaction, never
    writes.
    """

    def __init__(
        self, store: ProtocolRegistrationStore, settings: ModelRegistrationSettings
    ) -> None:
        self._store = store
        self._settings = settings

    @property
    def handler_id(self) -> str:
        """``handler-node-heartbeat``: the key the contract routes to."""
        return "handler-node-heartbeat"

    @property
    def category(self) -> EnumMessageCategory:
        """Heartbeats are events."""
        return EnumMessageCategory.EVENT

    @property
    def message_types(self) -> set[str]:
        """The one payload type served."""
        return {ModelNodeHeartbeatEvent.__name__}

    @property
    def node_kind(self) -> EnumNodeKind:
        """Runs in the registration orchestrator."""
        return EnumNodeKind.ORCHESTRATOR

    async def handle(self, envelope: ModelEventEnvelope[Any]) -> ModelHandlerOutput:
        """Decide the effect of one heartbeat.

        Raises ``ModelOnexError(VALIDATION_ERROR)`` for a payload of another type
        (``invalid_payload``) or a timestamp beyond the clock-skew limit (``clock_skew``), and
        ``ModelOnexError(INVALID_STATE)`` from the store outside a transaction.
        """
        started = time.perf_counter()
        beat = require_payload(envelope, ModelNodeHeartbeatEvent, self.handler_id)
        now = envelope.envelope_timestamp
        check_clock_skew(
            beat.timestamp,
            now,
            self._settings.max_clock_skew,
            handler_id=self.handler_id,
            envelope_id=envelope.envelope_id,
        )
        txn = self._store.active_transaction()
        current = txn.get_node(beat.node_id)
        if current is not None and beat.epoch < current.epoch:
            reason = stale_epoch_reason("heartbeat", beat.epoch, current.epoch)
            return build_output(self.handler_id, envelope, started, ignored_reason=reason)

        if current is not None and current.state is EnumRegistrationState.ACTIVE:
            row = current.model_copy(
                update={
                    "last_heartbeat_at": latest(current.last_heartbeat_at, beat.timestamp),
                    "liveness_deadline": latest(
                        current.liveness_deadline, now + self._settings.liveness_window
                    ),
                    "updated_at": now,
                }
            )
            return build_output(
                self.handler_id, envelope, started, intents=[ModelIntentUpsertNode(projection=row)]
            )

        requested_at = txn.get_introspection_requested_at(beat.node_id)
        if requested_at is not None and now - requested_at < self._settings.liveness_interval:
            reason = (
                f"{IGNORED_INTROSPECTION_ALREADY_REQUESTED}: introspection was requested from node "
                f"{beat.node_id} at {requested_at.isoformat()}, less than the liveness interval "
                f"of {self._settings.liveness_interval.total_seconds():g}s ago"
            )
            return build_output(self.handler_id, envelope, started, ignored_reason=reason)
        state = "unknown" if current is None else current.state.value
        spec: EventSpec = (
            EnumLifecycleEventType.NODE_INTROSPECTION_REQUESTED,
            {"epoch": beat.epoch, "registration_state": state},
        )
        return build_output(
            self.handler_id,
            envelope,
            started,
            events=build_events(envelope, beat.node_id, now, [spec]),
            intents=[ModelIntentRecordIntrospectionRequest(node_id=beat.node_id, requested_at=now)],
        )
