"""The bus demo's output invariant: every outbox event on its output partition once, in commit
order, its id as the idempotency id and in its body; each way of breaking it is named."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from omnibase_infra.enums import EnumLifecycleEventType
from omnibase_infra.models import ModelLifecycleEvent, partition_hash
from omnibase_infra.runtime.service_outbox_relay import event_bytes
from omnibase_infra.simulation import ServiceDemoInvariants

PARTITIONS = 3
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
Published = list[list[tuple[str | None, bytes]]]


def _events(count: int = 12) -> list[ModelLifecycleEvent]:
    nodes = [uuid.UUID(int=index * 7919 + 1) for index in range(4)]
    return [
        ModelLifecycleEvent.create(
            EnumLifecycleEventType.NODE_BECAME_ACTIVE,
            node_id=nodes[index % len(nodes)],
            causation_id=uuid.uuid4(),
            correlation_id=uuid.uuid4(),
            emitted_at=T0,
            position=0,
        )
        for index in range(count)
    ]


def _published(events: list[ModelLifecycleEvent]) -> Published:
    out: Published = [[] for _ in range(PARTITIONS)]
    for event in events:
        out[partition_hash(event.node_id) % PARTITIONS].append(
            (str(event.event_id), event_bytes(event))
        )
    return out


def _check(events: list[ModelLifecycleEvent], published: Published) -> tuple[bool, str]:
    result = ServiceDemoInvariants.published_output(events, published)
    assert result.statement == "the output stream holds every outbox event once, in commit order"
    return result.passed, result.detail


def test_the_outbox_published_once_in_order_holds() -> None:
    events = _events()
    assert _check(events, _published(events)) == (
        True,
        "12 events in the outbox, 12 published: 0 missing, 0 unknown, 0 repeated, in order",
    )


def test_an_empty_outbox_and_an_empty_output_hold() -> None:
    assert _check([], [[] for _ in range(PARTITIONS)])[0]


def _busiest(published: Published) -> int:
    return max(range(PARTITIONS), key=lambda k: len(published[k]))


@pytest.mark.parametrize(
    ("breakage", "detail"),
    [
        ("missing", "1 missing, 0 unknown, 0 repeated, in order"),
        ("repeated", "0 missing, 0 unknown, 1 repeated, in order"),
        ("unknown", "0 missing, 1 unknown, 0 repeated, in order"),
        ("swapped", "0 missing, 0 unknown, 0 repeated, out of order; partition"),
        ("wrong body", "0 missing, 0 unknown, 0 repeated, in order; partition"),
        ("wrong partition", "0 missing, 0 unknown, 0 repeated, in order; partition"),
    ],
)
def test_each_breakage_fails_and_is_named(breakage: str, detail: str) -> None:
    events = _events()
    published = _published(events)
    k = _busiest(published)
    messages = published[k]
    if breakage == "missing":
        messages.pop()
    elif breakage == "repeated":
        messages.append(messages[0])
    elif breakage == "unknown":
        messages.append((str(uuid.uuid4()), b"{}"))
    elif breakage == "swapped":
        messages[0], messages[1] = messages[1], messages[0]
    elif breakage == "wrong body":
        messages[0] = (messages[0][0], messages[1][1])
    else:
        published[(k + 1) % PARTITIONS].append(messages.pop())
    passed, found = _check(events, published)
    assert not passed
    assert detail in found
