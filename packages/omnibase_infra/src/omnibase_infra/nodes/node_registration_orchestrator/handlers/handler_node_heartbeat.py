"""Decides what a node's heartbeat does to its registration."""

from __future__ import annotations

from time import perf_counter
from typing import Any

from omnibase_core.models.dispatch import ModelHandlerOutput
from omnibase_core.models.events import ModelEventEnvelope
from omnibase_infra.enums import EnumLifecycleEventType, EnumRegistrationState
from omnibase_infra.models.trusted_models import replace_trusted
from omnibase_infra.nodes.node_registration_orchestrator.enums import (
    EnumRegistrationIgnoreReason as Ignored,
)
from omnibase_infra.nodes.node_registration_orchestrator.handlers.handler_helpers import (
    EventSpec,
    build_events,
    build_output,
    stale_epoch_reason,
    upsert_intent,
)
from omnibase_infra.nodes.node_registration_orchestrator.handlers.handler_node_event_base import (
    HandlerNodeEventBase,
)
from omnibase_infra.nodes.node_registration_orchestrator.models import (
    ModelIntentRecordIntrospectionRequest,
    ModelNodeHeartbeatEvent,
    ModelRegistrationSettings,
)
from omnibase_infra.stores import ProtocolRegistrationTransaction


class HandlerNodeHeartbeat(HandlerNodeEventBase[ModelNodeHeartbeatEvent]):
    """Turns ``ModelNodeHeartbeatEvent`` into registration decisions.

    The rules are the heartbeat rows of docs/registration.md, *The lifecycle*:

    - ``active`` node: ``last_heartbeat_at = max(stored, node timestamp)`` and
      ``liveness_deadline = max(stored, now + liveness_window)``: neither ever moves backward;
    - an epoch older than the stored one: ignored with the reason;
    - ``liveness_expired``, ``deregistered`` or unknown node: no state change; emits
      ``NodeIntrospectionRequested`` unless one was requested less than ``liveness_interval``
      ago (then ignored with the reason).

    ``now`` is the envelope timestamp; a node timestamp beyond the clock-skew limit is
    dead-lettered as ``clock_skew``. Reads through the transaction the engine hands it,
    never writes.
    """

    def __init__(self, settings: ModelRegistrationSettings) -> None:
        super().__init__(
            settings,
            handler_id="handler-node-heartbeat",
            payload_type=ModelNodeHeartbeatEvent,
        )
        self._liveness_window = settings.liveness_window

    async def handle(
        self, envelope: ModelEventEnvelope[Any], txn: ProtocolRegistrationTransaction
    ) -> ModelHandlerOutput:
        """Decide the effect of one heartbeat.

        ``txn`` is the engine's open transaction, read and never written. Raises
        ``ModelMessageRefusedError`` for a payload of another type (``invalid_payload``) or a
        timestamp beyond the clock-skew limit (``clock_skew``), and what the store raises.
        """
        started = perf_counter()
        beat = self._accept(envelope)
        now = envelope.envelope_timestamp
        current = txn.get_node(beat.node_id)
        if current is not None:
            if beat.epoch < current.epoch:
                reason = stale_epoch_reason("heartbeat", beat.epoch, current.epoch)
                return build_output(self._handler_id, envelope, started, ignored_reason=reason)
            if current.state is EnumRegistrationState.ACTIVE:
                # neither time moves backward (latest(), written out on this hot path)
                beat_at, deadline = beat.timestamp, now + self._liveness_window
                last_beat, last_deadline = current.last_heartbeat_at, current.liveness_deadline
                row = replace_trusted(
                    current,
                    last_heartbeat_at=(
                        beat_at if last_beat is None or beat_at > last_beat else last_beat
                    ),
                    liveness_deadline=(
                        deadline
                        if last_deadline is None or deadline > last_deadline
                        else last_deadline
                    ),
                    updated_at=now,
                )
                return build_output(
                    self._handler_id, envelope, started, intents=(upsert_intent(row),)
                )

        requested_at = txn.get_introspection_requested_at(beat.node_id)
        if requested_at is not None and now - requested_at < self._settings.liveness_interval:
            reason = (
                f"{Ignored.INTROSPECTION_ALREADY_REQUESTED}: introspection was requested from node "
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
