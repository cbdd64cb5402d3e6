"""Decides which nodes a runtime tick expires."""

from __future__ import annotations

import time
from typing import Any

from omnibase_core.enums import EnumMessageCategory, EnumNodeKind
from omnibase_core.models.dispatch import ModelHandlerOutput
from omnibase_core.models.events import ModelEventEnvelope
from omnibase_infra.enums import EnumLifecycleEventType, EnumRegistrationState
from omnibase_infra.models import ModelLifecycleEvent, ModelPartition
from omnibase_infra.models.trusted_models import replace_trusted
from omnibase_infra.nodes.node_registration_orchestrator.enums import (
    EnumRegistrationIgnoreReason as Ignored,
)
from omnibase_infra.nodes.node_registration_orchestrator.handlers.handler_helpers import (
    build_events,
    build_output,
    iso,
    require_payload,
    upsert_intent,
)
from omnibase_infra.nodes.node_registration_orchestrator.models import (
    ModelIntentAdvanceTickClock,
    ModelRegistrationSettings,
    ModelRuntimeTick,
)
from omnibase_infra.stores import ProtocolRegistrationTransaction


class HandlerRuntimeTick:
    """Turns ``ModelRuntimeTick`` into liveness expiries.

    The rules are the tick rows of docs/registration.md, *The lifecycle*.

    Claims (atomically, skipping rows another process holds) up to ``expiry_batch_size``
    ``active`` nodes of this partition whose ``liveness_deadline < tick.now``, marks each
    ``liveness_expired`` and emits one ``NodeLivenessExpired`` per node; a node once expired is
    no longer ``active`` so it is never expired twice. The partition's tick clock advances to
    ``tick.now``; a tick older than the newest applied one of the partition is ignored. The
    runtime clock is authoritative here, so ticks get no clock-skew check.
    """

    def __init__(
        self,
        settings: ModelRegistrationSettings,
        partition: ModelPartition,
    ) -> None:
        self._settings = settings
        self._partition = partition

    @property
    def handler_id(self) -> str:
        """``handler-runtime-tick``: the key the contract routes to."""
        return "handler-runtime-tick"

    @property
    def category(self) -> EnumMessageCategory:
        """Ticks are intents (the runtime asks the orchestrator to act)."""
        return EnumMessageCategory.INTENT

    @property
    def message_types(self) -> set[str]:
        """The one payload type served."""
        return {ModelRuntimeTick.__name__}

    @property
    def node_kind(self) -> EnumNodeKind:
        """Runs in the registration orchestrator."""
        return EnumNodeKind.ORCHESTRATOR

    async def handle(
        self, envelope: ModelEventEnvelope[Any], txn: ProtocolRegistrationTransaction
    ) -> ModelHandlerOutput:
        """Expire the overdue nodes of this partition for one tick.

        ``txn`` is the engine's open transaction (the claim locks rows in it). Raises
        ``ModelMessageRefusedError`` for a payload of another type (``invalid_payload``) and
        what the store raises.
        """
        started = time.perf_counter()
        tick = require_payload(envelope, ModelRuntimeTick, self.handler_id)
        now = tick.now
        key = self._partition.key
        newest = txn.get_tick_clock(key)
        if newest is not None and now < newest:
            reason = (
                f"{Ignored.STALE_TICK}: tick {tick.sequence_number} at {now.isoformat()} is older "
                f"than the newest applied tick of partition {key} at {newest.isoformat()}"
            )
            return build_output(self.handler_id, envelope, started, ignored_reason=reason)

        claimed = txn.claim_expired(now, self._settings.expiry_batch_size, self._partition)
        intents: list[Any] = []
        events: list[ModelLifecycleEvent] = []
        for position, row in enumerate(claimed):
            intents.append(
                upsert_intent(
                    replace_trusted(
                        row, state=EnumRegistrationState.LIVENESS_EXPIRED, updated_at=now
                    )
                )
            )
            data = {
                "node_name": row.node_name,
                "epoch": row.epoch,
                "liveness_deadline": iso(row.liveness_deadline),
                "last_heartbeat_at": iso(row.last_heartbeat_at),
                "tick_id": str(tick.tick_id),
            }
            events.extend(
                build_events(
                    envelope,
                    row.node_id,
                    now,
                    [(EnumLifecycleEventType.NODE_LIVENESS_EXPIRED, data)],
                    first_position=position,
                )
            )
        intents.append(ModelIntentAdvanceTickClock(partition_key=key, now=now))
        return build_output(self.handler_id, envelope, started, events=events, intents=intents)
