"""``last_sequence``: the newest committed event's sequence, on every backend."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from omnibase_infra.enums import EnumLifecycleEventType
from omnibase_infra.models import ModelLifecycleEvent
from omnibase_infra.stores import ProtocolRegistrationStore


class _RollbackError(Exception):
    pass


def _events(count: int) -> list[ModelLifecycleEvent]:
    node_id = uuid.uuid4()
    return [
        ModelLifecycleEvent.create(
            EnumLifecycleEventType.NODE_BECAME_ACTIVE,
            node_id=node_id,
            causation_id=uuid.uuid4(),
            correlation_id=uuid.uuid4(),
            emitted_at=datetime(2026, 3, 1, tzinfo=UTC),
            position=position,
        )
        for position in range(count)
    ]


def test_last_sequence_follows_commits_only(store: ProtocolRegistrationStore) -> None:
    assert store.last_sequence() == 0

    for count in (3, 1, 4):
        with store.transaction() as txn:
            txn.append_events(_events(count))
        assert store.last_sequence() == max(e.sequence or 0 for e in store.iter_events())
    committed = store.last_sequence()

    def roll_back() -> None:
        with store.transaction() as txn:
            txn.append_events(_events(2))
            raise _RollbackError

    with pytest.raises(_RollbackError):
        roll_back()

    assert store.last_sequence() == committed
    assert list(store.iter_events(after_sequence=committed)) == []
    assert len(list(store.iter_events())) == 8
