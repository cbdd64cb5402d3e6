"""A process killed with SIGKILL mid-write leaves only whole transactions in the SQLite file."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from omnibase_infra.enums import EnumMessageOutcome
from omnibase_infra.stores import open_store

ROWS_PER_TRANSACTION = 7
NAMESPACE = uuid.UUID("5d3c3f4e-8f43-4a53-9d0a-2f6f0d1f6a10")
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

WRITER = textwrap.dedent(
    f"""
    import sys, uuid
    from datetime import UTC, datetime, timedelta
    from omnibase_core.enums import EnumNodeKind
    from omnibase_infra.enums import (
        EnumLifecycleEventType, EnumMessageOutcome, EnumRegistrationState,
    )
    from omnibase_infra.models import ModelLifecycleEvent, ModelRegistrationProjection
    from omnibase_infra.stores import open_store

    ns = uuid.UUID("{NAMESPACE}")
    t0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    store = open_store(sys.argv[1])
    batch = store.count_outcomes()[EnumMessageOutcome.APPLIED]
    announced = False
    while True:
        with store.transaction() as txn:
            envelope_id = uuid.uuid5(ns, str(batch))
            txn.record_outcome(envelope_id, EnumMessageOutcome.APPLIED, None, t0)
            events = []
            for row in range({ROWS_PER_TRANSACTION}):
                node_id = uuid.uuid5(ns, f"{{batch}}:{{row}}")
                txn.upsert_node(ModelRegistrationProjection(
                    node_id=node_id, node_name=f"b{{batch}}", state=EnumRegistrationState.ACTIVE,
                    node_type=EnumNodeKind.EFFECT, node_version="1.0.0", epoch=batch,
                    capabilities={{"batch": batch}}, registered_at=t0, updated_at=t0,
                ))
                events.append(ModelLifecycleEvent.create(
                    EnumLifecycleEventType.NODE_BECAME_ACTIVE, node_id=node_id,
                    causation_id=envelope_id, correlation_id=envelope_id, emitted_at=t0,
                    position=row, data={{"batch": batch}},
                ))
            txn.append_events(events)
            txn.set_tick_clock("0/1", t0 + timedelta(microseconds=batch))
        batch += 1
        if not announced:
            print("committing", flush=True)
            announced = True
    """
)


def _run_and_kill(url: str, rng: random.Random) -> None:
    with subprocess.Popen(
        [sys.executable, "-c", WRITER, url], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as child:
        assert child.stdout is not None
        line = child.stdout.readline()
        if line == b"committing\n":
            time.sleep(rng.uniform(0.02, 0.25))
        child.send_signal(signal.SIGKILL)
        _rest, errors = child.communicate()
    assert line == b"committing\n", errors.decode(errors="replace")
    assert child.returncode == -signal.SIGKILL


def _assert_only_whole_transactions(url: str) -> int:
    store = open_store(url)
    try:
        batches = store.count_outcomes()[EnumMessageOutcome.APPLIED]
        nodes = store.list_nodes()
        events = list(store.iter_events())
        assert len(nodes) == batches * ROWS_PER_TRANSACTION
        assert len(events) == batches * ROWS_PER_TRANSACTION
        expected_nodes = {
            uuid.uuid5(NAMESPACE, f"{b}:{r}")
            for b in range(batches)
            for r in range(ROWS_PER_TRANSACTION)
        }
        assert {n.node_id for n in nodes} == expected_nodes
        assert all(n.epoch == n.capabilities["batch"] for n in nodes)
        assert [e.data["batch"] for e in events] == [
            b for b in range(batches) for _ in range(ROWS_PER_TRANSACTION)
        ]
        with store.transaction() as txn:
            for b in range(batches):
                assert txn.get_outcome(uuid.uuid5(NAMESPACE, str(b))) is EnumMessageOutcome.APPLIED
            assert txn.get_outcome(uuid.uuid5(NAMESPACE, str(batches))) is None
            assert txn.get_tick_clock("0/1") == T0 + timedelta(microseconds=batches - 1)
    finally:
        store.close()
    return batches


@pytest.mark.slow
def test_sigkill_leaves_only_whole_transactions(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'crash.db'}"
    rng = random.Random(20260301)
    committed = 0
    for _ in range(4):
        _run_and_kill(url, rng)
        now_committed = _assert_only_whole_transactions(url)
        assert now_committed > committed
        committed = now_committed
