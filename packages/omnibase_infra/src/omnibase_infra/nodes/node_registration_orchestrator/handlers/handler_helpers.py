"""Small pure helpers shared by the three registration handlers.

Everything here is a pure function of its arguments: payload checks, the clock-skew rule,
ignore-reason formatting, event construction and output assembly. Handlers decide; the engine
writes, so nothing here touches a store.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from time import perf_counter
from typing import Any, TypeVar
from uuid import UUID

from pydantic import BaseModel

from omnibase_core.models.dispatch import ModelHandlerOutput
from omnibase_core.models.events import ModelEventEnvelope
from omnibase_infra.enums import EnumDeadLetterReason, EnumLifecycleEventType
from omnibase_infra.models import ModelLifecycleEvent, ModelRegistrationProjection
from omnibase_infra.models.trusted_models import construct_trusted_exact
from omnibase_infra.nodes.node_registration_orchestrator.enums import (
    EnumRegistrationIgnoreReason as Ignored,
)
from omnibase_infra.nodes.node_registration_orchestrator.models import ModelIntentUpsertNode
from omnibase_infra.runtime.model_message_refused_error import ModelMessageRefusedError

PayloadT = TypeVar("PayloadT")

EventSpec = tuple[EnumLifecycleEventType, dict[str, Any]]


def require_payload(
    envelope: ModelEventEnvelope[Any], payload_type: type[PayloadT], handler_id: str
) -> PayloadT:
    """Return the envelope's payload if it is a ``payload_type``.

    Raises ``ModelMessageRefusedError`` (dead-letter reason ``invalid_payload``) otherwise:
    the router sent a message this handler cannot read.
    """
    payload = envelope.payload
    if isinstance(payload, payload_type):
        return payload
    raise ModelMessageRefusedError(
        f"{handler_id}.handle: envelope {envelope.envelope_id} carries a "
        f"{type(payload).__name__} payload, expected {payload_type.__name__}; decode the payload "
        "with the wire codec before routing it",
        EnumDeadLetterReason.INVALID_PAYLOAD,
        {
            "handler_id": handler_id,
            "envelope_id": str(envelope.envelope_id),
        },
    )


def check_clock_skew(
    timestamp: datetime,
    now: datetime,
    max_clock_skew: timedelta,
    *,
    handler_id: str,
    envelope_id: UUID,
) -> None:
    """Refuse a message dated more than ``max_clock_skew`` after ``now``.

    Raises ``ModelMessageRefusedError`` with the dead-letter reason ``clock_skew`` (also in its
    context), the offending timestamp and the runtime's ``now``.
    """
    if timestamp - now > max_clock_skew:
        raise ModelMessageRefusedError(
            f"{handler_id}.handle: envelope {envelope_id} is dated {timestamp.isoformat()}, "
            f"{(timestamp - now).total_seconds():.3f}s after the runtime clock {now.isoformat()} "
            f"(max_clock_skew {max_clock_skew.total_seconds():g}s); fix the sender's clock",
            EnumDeadLetterReason.CLOCK_SKEW,
            {
                "handler_id": handler_id,
                "envelope_id": str(envelope_id),
                "timestamp": timestamp.isoformat(),
                "now": now.isoformat(),
            },
        )


def stale_epoch_reason(kind: str, epoch: int, stored_epoch: int) -> str:
    """Ignore reason for a ``kind`` message whose epoch is older than the stored one."""
    return (
        f"{Ignored.STALE_EPOCH}: {kind} epoch {epoch} is older than the stored epoch {stored_epoch}"
    )


def latest(first: datetime | None, second: datetime) -> datetime:
    """The later of two instants (``second`` when ``first`` is ``None``): keeps times monotonic."""
    return second if first is None or second > first else first


def build_events(
    envelope: ModelEventEnvelope[Any],
    node_id: UUID,
    emitted_at: datetime,
    specs: Sequence[EventSpec],
    *,
    first_position: int = 0,
) -> list[ModelLifecycleEvent]:
    """Lifecycle events caused by ``envelope``, with deterministic ids (position = index)."""
    return [
        ModelLifecycleEvent.create(
            event_type,
            node_id=node_id,
            causation_id=envelope.envelope_id,
            correlation_id=envelope.correlation_id,
            emitted_at=emitted_at,
            position=first_position + index,
            data=data,
        )
        for index, (event_type, data) in enumerate(specs)
    ]


def build_output(
    handler_id: str,
    envelope: ModelEventEnvelope[Any],
    started: float,
    *,
    events: Sequence[ModelLifecycleEvent] = (),
    intents: Sequence[BaseModel] = (),
    ignored_reason: str | None = None,
) -> ModelHandlerOutput:
    """Assemble a handler's output; ``started`` is the ``time.perf_counter()`` at entry.

    Every value is of its declared type by construction, so the output is built without
    validation (:mod:`omnibase_infra.models.trusted_models`)."""
    return construct_trusted_exact(
        ModelHandlerOutput,
        {
            "handler_id": handler_id,
            "input_envelope_id": envelope.envelope_id,
            "correlation_id": envelope.correlation_id,
            "events": tuple(events),
            "intents": tuple(intents),
            "ignored_reason": ignored_reason,
            "processing_time_ms": max(0.0, (perf_counter() - started) * 1000.0),
        },
    )


def upsert_intent(row: ModelRegistrationProjection) -> ModelIntentUpsertNode:
    """The intent writing ``row``, a projection built or derived from validated values."""
    return construct_trusted_exact(ModelIntentUpsertNode, {"projection": row})


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 text of an instant for event data (``None`` stays ``None``)."""
    return None if moment is None else moment.isoformat()
