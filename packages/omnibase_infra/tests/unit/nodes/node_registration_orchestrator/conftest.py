"""A harness for the registration handlers: a real memory store, envelope builders, and a
``decide`` step that runs one handler in a transaction and commits its intents and events."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest

from omnibase_core.enums import EnumMessageCategory, EnumNodeKind
from omnibase_core.models.dispatch import ModelHandlerOutput
from omnibase_core.models.events import ModelEventEnvelope
from omnibase_infra.enums import EnumIntrospectionReason
from omnibase_infra.models import ModelPartition, ModelRegistrationProjection
from omnibase_infra.nodes.node_registration_orchestrator.handlers import (
    HandlerNodeHeartbeat,
    HandlerNodeIntrospected,
    HandlerRuntimeTick,
)
from omnibase_infra.nodes.node_registration_orchestrator.models import (
    ModelNodeHeartbeatEvent,
    ModelNodeIntrospectionEvent,
    ModelRegistrationIntent,
    ModelRegistrationSettings,
    ModelRuntimeTick,
)
from omnibase_infra.stores.store_registration_memory import StoreRegistrationMemory

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class Harness:
    """Builds envelopes and runs handlers against a memory store."""

    T0 = T0

    def __init__(
        self,
        settings: ModelRegistrationSettings,
        partition: ModelPartition,
        store: StoreRegistrationMemory | None = None,
    ) -> None:
        self.store = store or StoreRegistrationMemory()
        self.settings = settings
        self.partition = partition
        self.introspected = HandlerNodeIntrospected(settings)
        self.heartbeat = HandlerNodeHeartbeat(settings)
        self.tick_handler = HandlerRuntimeTick(settings, partition)
        self._tick_sequence = 0

    # --- envelopes -------------------------------------------------------------------------------
    def intro(
        self,
        node_id: UUID,
        *,
        at: datetime = T0,
        epoch: int = 1,
        reason: EnumIntrospectionReason = EnumIntrospectionReason.STARTUP,
        version: str = "1.0.0",
        name: str = "node-a",
        capabilities: dict[str, object] | None = None,
        endpoints: dict[str, str] | None = None,
        timestamp: datetime | None = None,
    ) -> ModelEventEnvelope[Any]:
        payload = ModelNodeIntrospectionEvent(
            node_id=node_id,
            node_name=name,
            node_type=EnumNodeKind.EFFECT,
            node_version=version,
            capabilities=capabilities if capabilities is not None else {"db": True},
            endpoints=endpoints if endpoints is not None else {"http": "http://a:8080"},
            reason=reason,
            epoch=epoch,
            timestamp=timestamp or at,
        )
        return ModelEventEnvelope(
            envelope_timestamp=at,
            topic="onex.evt.platform.node-introspection.v1",
            payload=payload,
        )

    def beat(
        self, node_id: UUID, *, at: datetime = T0, epoch: int = 1, timestamp: datetime | None = None
    ) -> ModelEventEnvelope[Any]:
        payload = ModelNodeHeartbeatEvent(
            node_id=node_id, epoch=epoch, uptime_seconds=1.0, timestamp=timestamp or at
        )
        return ModelEventEnvelope(
            envelope_timestamp=at, topic="onex.evt.platform.node-heartbeat.v1", payload=payload
        )

    def tick(self, now: datetime, *, received: datetime | None = None) -> ModelEventEnvelope[Any]:
        self._tick_sequence += 1
        payload = ModelRuntimeTick(
            tick_id=uuid4(),
            now=now,
            sequence_number=self._tick_sequence,
            scheduler_id="scheduler-1",
            tick_interval_ms=1000,
        )
        return ModelEventEnvelope(
            envelope_timestamp=received or now,
            topic="onex.intent.platform.runtime-tick.v1",
            category=EnumMessageCategory.INTENT,
            payload=payload,
        )

    # --- running ---------------------------------------------------------------------------------
    def decide(self, handler: Any, envelope: ModelEventEnvelope[Any]) -> ModelHandlerOutput:
        """Run ``handler`` in a transaction and commit its intents and events."""
        with self.store.transaction() as txn:
            output: ModelHandlerOutput = asyncio.run(handler.handle(envelope, txn))
            for intent in output.intents:
                assert isinstance(intent, ModelRegistrationIntent), intent
                intent.apply_to(txn)
            txn.append_events(list(output.events))
        return output

    @staticmethod
    def types(output: ModelHandlerOutput) -> list[str]:
        """The emitted event types, in order."""
        return [event.event_type.value for event in output.events]

    def row(self, node_id: UUID) -> ModelRegistrationProjection | None:
        return next((row for row in self.store.list_nodes() if row.node_id == node_id), None)

    def register(self, node_id: UUID, *, at: datetime = T0, epoch: int = 1) -> None:
        self.decide(self.introspected, self.intro(node_id, at=at, epoch=epoch))


@pytest.fixture
def harness() -> Harness:
    return Harness(ModelRegistrationSettings(), ModelPartition())
