"""Store cost alone: the runtime's per-message store calls, memory vs SQLite (vs PostgreSQL).

Replays the store calls the runtime makes for a stream of messages over 1,000 nodes, one
transaction per batch of 500 messages: per message an inbox check, a node read, a node write,
events for introspections and an inbox record; a tick every 250 messages (tick clock, expiry
claim, expirations); a dead letter every 100. Every model is built before the clock starts, so
the figures are the stores' own cost. Reports messages/s and store calls/s per store and the
SQLite/memory ratio. It gates nothing: the end-to-end target is measured by
``bench_registration.py``; this one shows where store time goes.

    uv run python benchmarks/bench_store_transactions.py [--messages 50000] [--postgres URL]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from omnibase_core.enums import EnumNodeKind
from omnibase_infra.enums import (
    EnumDeadLetterReason,
    EnumLifecycleEventType,
    EnumMessageOutcome,
    EnumRegistrationState,
)
from omnibase_infra.models import (
    ModelDeadLetter,
    ModelLifecycleEvent,
    ModelPartition,
    ModelRegistrationProjection,
)
from omnibase_infra.stores import ProtocolRegistrationStore, open_store

NODES = 1_000
BATCH = 500
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Message:
    """One prepared input: what the runtime would hand the store for it."""

    envelope_id: uuid.UUID
    kind: str
    node_id: uuid.UUID
    now: datetime
    projection: ModelRegistrationProjection | None
    events: tuple[ModelLifecycleEvent, ...]
    dead_letter: ModelDeadLetter | None


def prepare(count: int, seed: int = 7) -> list[Message]:
    """A deterministic message mix: 60% heartbeats, 30% introspections, ticks, dead letters."""
    rng = random.Random(seed)
    node_ids = [uuid.UUID(int=rng.getrandbits(128), version=4) for _ in range(NODES)]
    messages: list[Message] = []
    for index in range(count):
        now = T0 + timedelta(milliseconds=200 * index)
        envelope_id = uuid.UUID(int=rng.getrandbits(128), version=4)
        node_id = node_ids[rng.randrange(NODES)]
        if index % 250 == 249:
            messages.append(Message(envelope_id, "tick", node_id, now, None, (), None))
            continue
        if index % 100 == 99:
            letter = ModelDeadLetter(
                dead_letter_id=envelope_id,
                envelope_id=None,
                reason=EnumDeadLetterReason.UNPARSEABLE,
                detail="not JSON",
                source="bench.jsonl",
                line_number=index,
                raw="{oops",
                recorded_at=now,
            )
            messages.append(Message(envelope_id, "dead", node_id, now, None, (), letter))
            continue
        introspection = index < NODES or rng.random() < 0.3
        projection = ModelRegistrationProjection(
            node_id=node_id,
            node_name=f"node-{node_id.hex[:8]}",
            state=EnumRegistrationState.ACTIVE,
            node_type=EnumNodeKind.EFFECT,
            node_version="1.4.2",
            epoch=1,
            capabilities={"database": True, "regions": ["eu", "us"], "max_connections": 100},
            endpoints={"http": "http://10.0.0.1:8080", "metrics": "http://10.0.0.1:9100"},
            registered_at=T0,
            last_heartbeat_at=None if introspection else now,
            liveness_deadline=now + timedelta(seconds=90),
            last_introspection_at=now,
            updated_at=now,
        )
        events = tuple(
            ModelLifecycleEvent.create(
                event_type,
                node_id=node_id,
                causation_id=envelope_id,
                correlation_id=envelope_id,
                emitted_at=now,
                position=position,
                data={"node_version": "1.4.2", "epoch": 1},
            )
            for position, event_type in enumerate(
                (
                    EnumLifecycleEventType.NODE_REGISTRATION_INITIATED,
                    EnumLifecycleEventType.NODE_BECAME_ACTIVE,
                )
                if introspection
                else ()
            )
        )
        kind = "introspection" if introspection else "heartbeat"
        messages.append(Message(envelope_id, kind, node_id, now, projection, events, None))
    return messages


def replay(store: ProtocolRegistrationStore, messages: list[Message]) -> tuple[float, int]:
    """Replay ``messages`` in batches; returns (seconds, store calls made)."""
    partition = ModelPartition()
    applied = EnumMessageOutcome.APPLIED
    calls = 0
    started = time.perf_counter()
    for start in range(0, len(messages), BATCH):
        with store.transaction() as txn:
            for message in messages[start : start + BATCH]:
                if message.dead_letter is not None:
                    txn.add_dead_letter(message.dead_letter)
                    calls += 1
                    continue
                calls += 1
                if txn.get_outcome(message.envelope_id) is not None:
                    continue
                if message.kind == "tick":
                    txn.get_tick_clock(partition.key)
                    expired = txn.claim_expired(message.now, 1000, partition)
                    for node in expired:
                        txn.upsert_node(
                            node.model_copy(
                                update={"state": EnumRegistrationState.LIVENESS_EXPIRED}
                            )
                        )
                    txn.set_tick_clock(partition.key, message.now)
                    calls += 3 + len(expired)
                else:
                    txn.get_node(message.node_id)
                    assert message.projection is not None
                    txn.upsert_node(message.projection)
                    calls += 2
                    if message.events:
                        txn.append_events(message.events)
                        calls += 1
                txn.record_outcome(message.envelope_id, applied, None, message.now)
                calls += 1
    return time.perf_counter() - started, calls


def measure(url: str, messages: list[Message], repeat: int) -> tuple[float, float]:
    """Best messages/s and calls/s over ``repeat`` fresh runs of the store made by ``url``."""
    best_rate = best_calls = 0.0
    for attempt in range(repeat):
        store = open_store(url.replace("{n}", str(attempt)))
        try:
            seconds, calls = replay(store, messages)
        finally:
            store.close()
        best_rate = max(best_rate, len(messages) / seconds)
        best_calls = max(best_calls, calls / seconds)
    return best_rate, best_calls


def main() -> int:
    """Print messages/s and store calls/s per store and the SQLite/memory ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--postgres", metavar="URL", help="also measure this (empty) database")
    args = parser.parse_args()
    messages = prepare(args.messages)
    with tempfile.TemporaryDirectory() as folder:
        urls = {
            "memory": "memory://",
            "sqlite": f"sqlite:///{Path(folder) / 'bench-{n}.db'}",
        }
        if args.postgres:
            urls["postgresql"] = args.postgres
        results = {
            name: measure(url, messages, 1 if name == "postgresql" else args.repeat)
            for name, url in urls.items()
        }
    print(f"store calls for {args.messages:,} messages, batches of {BATCH}, {NODES:,} nodes")
    print(f"{'store':<12}{'messages/s':>14}{'store calls/s':>16}")
    for name, (rate, calls) in results.items():
        print(f"{name:<12}{rate:>14,.0f}{calls:>16,.0f}")
    ratio = results["sqlite"][0] / results["memory"][0]
    print(f"sqlite / memory (store cost alone): {ratio:.1%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
