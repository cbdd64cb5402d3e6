"""Decides what a node's introspection event does to its registration."""

from __future__ import annotations

import time
from typing import Any, Final

from omnibase_core.models.dispatch import ModelHandlerOutput
from omnibase_core.models.events import ModelEventEnvelope
from omnibase_infra.enums import (
    EnumIntrospectionReason,
    EnumLifecycleEventType,
    EnumRegistrationState,
)
from omnibase_infra.models import ModelRegistrationProjection
from omnibase_infra.models.trusted_models import replace_trusted
from omnibase_infra.nodes.node_registration_orchestrator.enums import (
    EnumRegistrationIgnoreReason as Ignored,
)
from omnibase_infra.nodes.node_registration_orchestrator.handlers.handler_helpers import (
    EventSpec,
    build_events,
    build_output,
    iso,
    latest,
    stale_epoch_reason,
    upsert_intent,
)
from omnibase_infra.nodes.node_registration_orchestrator.handlers.handler_node_event_base import (
    HandlerNodeEventBase,
)
from omnibase_infra.nodes.node_registration_orchestrator.models import (
    ModelNodeIntrospectionEvent,
    ModelRegistrationSettings,
)
from omnibase_infra.stores import ProtocolRegistrationTransaction
from omnibase_infra.wire import canonical_json, canonical_mapping

_SNAPSHOT_FIELDS: Final = ("node_name", "node_type", "node_version", "capabilities", "endpoints")
#: Snapshot mappings, compared in their canonical JSON form (``1``, ``1.0`` and ``true`` differ;
#: key order does not matter).
_MAPPING_FIELDS: Final = frozenset({"capabilities", "endpoints"})


def _snapshot_changes(
    event: ModelNodeIntrospectionEvent, current: ModelRegistrationProjection
) -> list[str]:
    """The snapshot fields in which ``event`` differs from the stored row, in field order."""
    changed: list[str] = []
    for name in _SNAPSHOT_FIELDS:
        new, old = getattr(event, name), getattr(current, name)
        if name in _MAPPING_FIELDS:
            if canonical_json(new) != canonical_json(old):
                changed.append(name)
        elif new != old:
            changed.append(name)
    return changed


class HandlerNodeIntrospected(HandlerNodeEventBase[ModelNodeIntrospectionEvent]):
    """Turns ``ModelNodeIntrospectionEvent`` into registration decisions.

    The rules are the introspection rows of docs/registration.md, *The lifecycle*:

    - unknown, ``liveness_expired`` or ``deregistered`` node, not shutdown: (re-)registered
      ``active`` with ``liveness_deadline = now + liveness_interval``; emits
      ``NodeRegistrationInitiated`` and ``NodeBecameActive``;
    - ``active`` node, same epoch and snapshot: deadline extended, nothing emitted;
    - ``active`` node, newer epoch or changed snapshot: snapshot updated, deadline extended;
      emits ``NodeRegistrationUpdated``;
    - shutdown of an ``active`` or ``liveness_expired`` node: ``deregistered``; emits
      ``NodeDeregistered``; shutdown of an unknown or ``deregistered`` node: ignored;
    - an epoch older than the stored one, or (same epoch) a node timestamp older than the
      newest applied introspection: ignored with the reason.

    ``now`` is the envelope timestamp (the runtime's accept time); the node's own timestamp
    only orders messages and feeds the clock-skew check (dead-lettered as ``clock_skew``).
    Capabilities and endpoints are compared and stored in their canonical form
    (:mod:`omnibase_infra.wire.wire_canonical`), so a decision never depends on the store, the
    batch or a restart that produced the stored row.
    The handler reads the row through the transaction the engine hands it and never writes: the
    new row travels as a :class:`ModelIntentUpsertNode`.
    """

    def __init__(self, settings: ModelRegistrationSettings) -> None:
        super().__init__(
            settings,
            handler_id="handler-node-introspected",
            payload_type=ModelNodeIntrospectionEvent,
        )

    async def handle(
        self, envelope: ModelEventEnvelope[Any], txn: ProtocolRegistrationTransaction
    ) -> ModelHandlerOutput:
        """Decide the effect of one introspection on the node's registration.

        ``txn`` is the engine's open transaction, read and never written. Raises
        ``ModelMessageRefusedError`` for a payload of another type (``invalid_payload``) or a
        timestamp beyond the clock-skew limit (``clock_skew``), and what the store raises.
        """
        started = time.perf_counter()
        event = self._accept(envelope)
        current = txn.get_node(event.node_id)

        if current is not None:
            if event.epoch < current.epoch:
                reason = stale_epoch_reason("introspection", event.epoch, current.epoch)
                return build_output(self.handler_id, envelope, started, ignored_reason=reason)
            if (
                event.epoch == current.epoch
                and current.last_introspection_at is not None
                and event.timestamp < current.last_introspection_at
            ):
                reason = (
                    f"{Ignored.OUT_OF_ORDER}: introspection dated {event.timestamp.isoformat()} "
                    f"is older than the applied one of {current.last_introspection_at.isoformat()} "
                    f"in the same epoch {event.epoch}"
                )
                return build_output(self.handler_id, envelope, started, ignored_reason=reason)

        if event.reason is EnumIntrospectionReason.SHUTDOWN:
            return self._shutdown(envelope, event, current, started)
        if current is None or current.state is not EnumRegistrationState.ACTIVE:
            return self._register(envelope, event, current, started)
        return self._refresh(envelope, event, current, started)

    def _shutdown(
        self,
        envelope: ModelEventEnvelope[Any],
        event: ModelNodeIntrospectionEvent,
        current: ModelRegistrationProjection | None,
        started: float,
    ) -> ModelHandlerOutput:
        if current is None:
            reason = f"{Ignored.SHUTDOWN_OF_UNKNOWN_NODE}: node {event.node_id} is not registered"
            return build_output(self.handler_id, envelope, started, ignored_reason=reason)
        if current.state is EnumRegistrationState.DEREGISTERED:
            reason = (
                f"{Ignored.SHUTDOWN_OF_DEREGISTERED_NODE}: node {event.node_id} is already "
                "deregistered"
            )
            return build_output(self.handler_id, envelope, started, ignored_reason=reason)
        now = envelope.envelope_timestamp
        row = replace_trusted(
            current,
            state=EnumRegistrationState.DEREGISTERED,
            epoch=event.epoch,
            liveness_deadline=None,
            last_introspection_at=latest(current.last_introspection_at, event.timestamp),
            updated_at=now,
        )
        spec: EventSpec = (
            EnumLifecycleEventType.NODE_DEREGISTERED,
            {"epoch": event.epoch, "previous_state": current.state.value},
        )
        return build_output(
            self.handler_id,
            envelope,
            started,
            events=build_events(envelope, event.node_id, now, [spec]),
            intents=[upsert_intent(row)],
        )

    def _register(
        self,
        envelope: ModelEventEnvelope[Any],
        event: ModelNodeIntrospectionEvent,
        current: ModelRegistrationProjection | None,
        started: float,
    ) -> ModelHandlerOutput:
        now = envelope.envelope_timestamp
        deadline = now + self._settings.liveness_interval
        row = ModelRegistrationProjection(
            node_id=event.node_id,
            node_name=event.node_name,
            state=EnumRegistrationState.ACTIVE,
            node_type=event.node_type,
            node_version=event.node_version,
            epoch=event.epoch,
            capabilities=canonical_mapping(event.capabilities),
            endpoints=canonical_mapping(event.endpoints),
            registered_at=now,
            last_heartbeat_at=None if current is None else current.last_heartbeat_at,
            liveness_deadline=deadline,
            last_introspection_at=event.timestamp,
            updated_at=now,
        )
        specs: list[EventSpec] = [
            (
                EnumLifecycleEventType.NODE_REGISTRATION_INITIATED,
                {
                    "node_name": event.node_name,
                    "node_type": event.node_type.value,
                    "node_version": event.node_version,
                    "epoch": event.epoch,
                    "reason": event.reason.value,
                    "previous_state": None if current is None else current.state.value,
                },
            ),
            (
                EnumLifecycleEventType.NODE_BECAME_ACTIVE,
                {
                    "node_name": event.node_name,
                    "epoch": event.epoch,
                    "liveness_deadline": iso(deadline),
                },
            ),
        ]
        return build_output(
            self.handler_id,
            envelope,
            started,
            events=build_events(envelope, event.node_id, now, specs),
            intents=[upsert_intent(row)],
        )

    def _refresh(
        self,
        envelope: ModelEventEnvelope[Any],
        event: ModelNodeIntrospectionEvent,
        current: ModelRegistrationProjection,
        started: float,
    ) -> ModelHandlerOutput:
        now = envelope.envelope_timestamp
        deadline = latest(current.liveness_deadline, now + self._settings.liveness_interval)
        changed = _snapshot_changes(event, current)
        update: dict[str, Any] = {
            "liveness_deadline": deadline,
            "last_introspection_at": latest(current.last_introspection_at, event.timestamp),
            "updated_at": now,
        }
        if event.epoch == current.epoch and not changed:
            row = replace_trusted(current, **update)
            return build_output(self.handler_id, envelope, started, intents=[upsert_intent(row)])
        update.update(
            epoch=event.epoch,
            node_name=event.node_name,
            node_type=event.node_type,
            node_version=event.node_version,
            capabilities=canonical_mapping(event.capabilities),
            endpoints=canonical_mapping(event.endpoints),
        )
        row = replace_trusted(current, **update)
        spec: EventSpec = (
            EnumLifecycleEventType.NODE_REGISTRATION_UPDATED,
            {
                "epoch": event.epoch,
                "previous_epoch": current.epoch,
                "node_version": event.node_version,
                "previous_node_version": current.node_version,
                "changed_fields": changed,
                "reason": event.reason.value,
            },
        )
        return build_output(
            self.handler_id,
            envelope,
            started,
            events=build_events(envelope, event.node_id, now, [spec]),
            intents=[upsert_intent(row)],
        )
