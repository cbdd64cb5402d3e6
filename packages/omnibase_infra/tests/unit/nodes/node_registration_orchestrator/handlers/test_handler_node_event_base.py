"""A node-event handler accepts a payload exactly as the payload and clock-skew rules say."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from hypothesis import given, settings
from hypothesis import strategies as st

from omnibase_core.models.events import ModelEventEnvelope
from omnibase_infra.nodes.node_registration_orchestrator.handlers import HandlerNodeHeartbeat
from omnibase_infra.nodes.node_registration_orchestrator.handlers.handler_helpers import (
    check_clock_skew,
    require_payload,
)
from omnibase_infra.nodes.node_registration_orchestrator.models import (
    ModelNodeHeartbeatEvent,
    ModelRegistrationSettings,
    ModelRuntimeTick,
)

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _reference(handler: HandlerNodeHeartbeat, envelope: ModelEventEnvelope[Any]) -> Any:
    """The rule as written: the payload type, then the clock skew against the envelope time."""
    payload = require_payload(envelope, ModelNodeHeartbeatEvent, handler.handler_id)
    check_clock_skew(
        payload.timestamp,
        envelope.envelope_timestamp,
        handler._settings.max_clock_skew,
        handler_id=handler.handler_id,
        envelope_id=envelope.envelope_id,
    )
    return payload


def _outcome(accept: Any) -> tuple[str, Any]:
    try:
        return "accepted", accept()
    except Exception as exc:  # the refusal is compared whole
        return "refused", (type(exc).__name__, str(exc), getattr(exc, "context", None))


@settings(max_examples=300, deadline=None)
@given(
    skew_ms=st.integers(0, 120_000),
    ahead_ms=st.integers(-200_000, 200_000),
    extra_us=st.sampled_from([-1, 0, 1]),
    kind=st.sampled_from(["heartbeat", "tick", "none", "dict"]),
)
def test_accept_agrees_with_the_payload_and_clock_skew_rules(
    skew_ms: int, ahead_ms: int, extra_us: int, kind: str
) -> None:
    skew = timedelta(milliseconds=skew_ms)
    handler = HandlerNodeHeartbeat(ModelRegistrationSettings(max_clock_skew=skew))
    # around the limit too: exactly max_clock_skew ahead, and one microsecond either side
    ahead = timedelta(milliseconds=ahead_ms) if ahead_ms % 3 else skew
    stamp = T0 + ahead + timedelta(microseconds=extra_us)
    payload: Any = {
        "heartbeat": ModelNodeHeartbeatEvent(
            node_id=UUID(int=1), epoch=1, uptime_seconds=1.0, timestamp=stamp
        ),
        "tick": ModelRuntimeTick(
            tick_id=UUID(int=2),
            now=stamp,
            sequence_number=1,
            scheduler_id="s",
            tick_interval_ms=1000,
        ),
        "none": None,
        "dict": {"timestamp": stamp},
    }[kind]
    envelope = ModelEventEnvelope[Any].model_construct(
        envelope_id=UUID(int=3), envelope_timestamp=T0, payload=payload
    )
    expected = _outcome(lambda: _reference(handler, envelope))
    assert _outcome(lambda: handler._accept(envelope)) == expected
