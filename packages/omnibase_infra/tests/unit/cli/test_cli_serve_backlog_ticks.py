"""``onex-registration serve`` ticking its own partitions over a backlog longer than the
liveness window (``--contract`` with a 2 s window and 0.5 s ticks): while the backlog is
applied the ticks follow message time, so a node whose heartbeats are still in the backlog is
never expired, a node that really went quiet expires at the message time its deadline passed,
and once caught up the wall clock expires the node whose heartbeats stopped. The result equals
``run`` on the same lines with the ticks serve applied written in between.

The same holds when the partition changes owner in the middle of the backlog: the new owner's
fetches come back empty while the batch the old owner died with waits out its ack wait, and
that is not being caught up (ticking at wall-clock time then expired the live node)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from nats_fixtures import nats_private_server
from nats_server import NatsTestServer
from serve_probes import blocked_by, migrated, node_row_locked
from serve_support import (
    ServeProcess,
    comparable,
    outcome_total,
    publish_lines,
    wait_until,
)

from omnibase_infra.models import ModelPartition
from omnibase_infra.nodes.node_registration_orchestrator.node import NodeRegistrationOrchestrator
from omnibase_infra.nodes.node_registration_orchestrator.registration_bus import INPUT_STREAM
from omnibase_infra.nodes.node_registration_orchestrator.service_registration_runtime import (
    ServiceRegistrationRuntime,
    build_registration_node,
)
from omnibase_infra.runtime.model_tick_clock import ModelTickClock
from omnibase_infra.runtime.wire_codec import encode_envelope
from omnibase_infra.stores.store_factory import open_store

pytestmark = [pytest.mark.nats, pytest.mark.live]
__all__ = ["nats_private_server"]
WINDOW = 2.0
TICK = 0.5
HEARTBEATS = 16  # every TICK seconds of message time: four liveness windows


def _contract(folder: Path) -> Path:
    """The shipped contract with a 2 s liveness interval and window and 0.5 s ticks."""
    text = Path(NodeRegistrationOrchestrator.DEFAULT_CONTRACT_PATH).read_text(encoding="utf-8")
    for key, value in (
        ("liveness_interval_seconds", WINDOW),
        ("liveness_window_seconds", WINDOW),
        ("tick_interval_seconds", TICK),
    ):
        start = text.index(f"  {key}:")
        end = text.index("\n", start)
        text = f"{text[:start]}  {key}: {value}{text[end:]}"
    path = folder / "contract.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _at(instant: datetime) -> str:
    return instant.isoformat().replace("+00:00", "Z")


def _introspection(node: uuid.UUID, at: datetime) -> str:
    payload = {
        "node_id": str(node),
        "node_name": f"node-{str(node)[:8]}",
        "node_type": "effect",
        "node_version": "1.0.0",
        "capabilities": {},
        "endpoints": {},
        "reason": "startup",
        "epoch": 1,
        "timestamp": _at(at),
    }
    return _envelope(
        "onex.evt.platform.node-introspection.v1", "ModelNodeIntrospectionEvent", payload, at
    )


def _heartbeat(node: uuid.UUID, at: datetime, uptime: float) -> str:
    payload = {
        "node_id": str(node),
        "epoch": 1,
        "uptime_seconds": uptime,
        "active_operations": 0,
        "timestamp": _at(at),
    }
    return _envelope("onex.evt.platform.node-heartbeat.v1", "ModelNodeHeartbeatEvent", payload, at)


def _envelope(topic: str, payload_type: str, payload: dict[str, Any], at: datetime) -> str:
    return json.dumps(
        {
            "envelope_id": str(uuid.uuid4()),
            "envelope_timestamp": _at(at),
            "correlation_id": str(uuid.uuid4()),
            "topic": topic,
            "payload_type": payload_type,
            "payload": payload,
        }
    )


def _with_ticks(lines: list[str], contract: Path, wall_ticks: list[int]) -> list[str]:
    """``lines`` with the ticks a one-partition serve applies after each message of a backlog
    (one message per batch: the last grid instant not after the message's time, when newer
    than the last tick), then the wall-clock ticks ``wall_ticks`` (grid sequence numbers)."""
    loaded = NodeRegistrationOrchestrator.load_registration_contract(contract)
    node = build_registration_node(
        loaded.lifecycle.to_settings(), ModelPartition(index=0, count=1), loaded
    )
    clock = ModelTickClock(TICK)

    def tick(sequence: int) -> str:
        envelope_id = clock.envelope_id(INPUT_STREAM, 0, 1, sequence)
        envelope = node.tick_envelope(
            ModelPartition(index=0, count=1), clock.instant(sequence), sequence, envelope_id
        )
        clock.ticked(sequence)
        return encode_envelope(envelope)

    out: list[str] = []
    for line in lines:
        out.append(line)
        clock.observe(datetime.fromisoformat(json.loads(line)["envelope_timestamp"]))
        sequence = clock.due(caught_up=False)
        if sequence is not None:
            out.append(tick(sequence))
    out.extend(tick(sequence) for sequence in wall_ticks)
    return out


def test_a_backlog_longer_than_the_liveness_window_expires_no_live_node(
    nats_private_server: NatsTestServer, tmp_path: Path
) -> None:
    url = nats_private_server.url
    contract = _contract(tmp_path)
    store_url = f"sqlite:///{tmp_path / 'served.db'}"
    start = (datetime.now(UTC) - timedelta(minutes=2)).replace(microsecond=0)
    live, quiet = uuid.uuid4(), uuid.uuid4()
    lines = [_introspection(live, start), _introspection(quiet, start)]
    lines += [
        _heartbeat(live, start + timedelta(seconds=TICK * n), TICK * n)
        for n in range(1, HEARTBEATS + 1)
    ]
    last_heartbeat = start + timedelta(seconds=TICK * HEARTBEATS)
    publish_lines(url, lines, 1)  # while no serve runs: the backlog
    serve = ServeProcess(
        store_url,
        url,
        *("--partitions", "1", "--batch-size", "1", "--contract", str(contract)),
        folder=tmp_path,
    )

    def expired() -> set[str]:
        store = open_store(store_url)
        try:
            return {str(n.node_id) for n in store.list_nodes() if n.state.value != "active"}
        finally:
            store.close()

    try:
        serve.start().wait_serving()
        wait_until(lambda: outcome_total(store_url) >= len(lines), 60, "the backlog applied")
        wait_until(lambda: expired() == {str(live), str(quiet)}, 30, "both nodes to expire")
        assert serve.terminate() == 0, serve.log
    finally:
        serve.stop_quietly()
    served = comparable(store_url)
    kinds = {
        node: [event["event_type"] for event in events] for node, events in served["events"].items()
    }
    # the live node was never expired while its heartbeats were still in the backlog (an
    # expiry then would have made its next heartbeat ask for an introspection)
    assert kinds[str(live)] == [
        "NodeRegistrationInitiated",
        "NodeBecameActive",
        "NodeLivenessExpired",
    ]
    assert kinds[str(quiet)] == [
        "NodeRegistrationInitiated",
        "NodeBecameActive",
        "NodeLivenessExpired",
    ]
    live_expiry = datetime.fromisoformat(served["events"][str(live)][-1]["emitted_at"])
    quiet_expiry = datetime.fromisoformat(served["events"][str(quiet)][-1]["emitted_at"])
    # the quiet node expired at message time, within the backlog; the live one after it
    assert start + timedelta(seconds=WINDOW) < quiet_expiry <= last_heartbeat
    assert live_expiry > last_heartbeat + timedelta(seconds=WINDOW)
    # the same with run: the backlog's ticks written in, and the wall-clock tick that expired
    # the live node (found by its deterministic id)
    wall = _wall_tick(served["events"][str(live)][-1]["causation_id"], last_heartbeat)
    reference = f"sqlite:///{tmp_path / 'ran.db'}"
    with ServiceRegistrationRuntime.from_url(reference, contract_path=contract) as runtime:
        runtime.run_lines(_with_ticks(lines, contract, [wall]), "input.jsonl")
    assert served == comparable(reference)


def _states(store_url: str) -> dict[str, str]:
    store = open_store(store_url)
    try:
        return {str(n.node_id): n.state.value for n in store.list_nodes()}
    finally:
        store.close()


def _wall_tick(causation_id: str, after: datetime) -> int:
    """The grid sequence number of the wall-clock tick whose envelope id is ``causation_id``."""
    clock = ModelTickClock(TICK)
    wanted = uuid.UUID(causation_id)
    first = int(after.timestamp() / TICK)
    return next(
        s
        for s in range(first, first + 100_000)
        if clock.envelope_id(INPUT_STREAM, 0, 1, s) == wanted
    )


@pytest.mark.postgres
def test_a_new_owner_waiting_out_its_predecessors_batch_is_not_caught_up(
    nats_private_server: NatsTestServer, postgres_server: Any, postgres_url: str, tmp_path: Path
) -> None:
    """A backlog in message time two minutes old: serve applies its first part, then dies
    (SIGKILL) with a batch in flight; the serve that takes the partition over finds its fetches
    empty until that batch's ack wait ends. It must not tick at wall-clock time meanwhile:
    that would expire the live node, whose later heartbeats are still in the backlog."""
    url = nats_private_server.url
    contract = _contract(tmp_path)
    store_url = migrated(postgres_server.create_schema(postgres_url))
    start = (datetime.now(UTC) - timedelta(minutes=2)).replace(microsecond=0)
    live, blocker = uuid.uuid4(), uuid.uuid4()
    # the blocker is registered before serve starts (by run, on the same store), active until
    # after its heartbeat below; holding its row stalls the batch of that heartbeat
    registered = [_introspection(blocker, start + timedelta(seconds=3))]
    with ServiceRegistrationRuntime.from_url(store_url, contract_path=contract) as runtime:
        runtime.run_lines(registered, "registered.jsonl")
    lines = [_introspection(live, start)]
    lines += [_heartbeat(live, start + timedelta(seconds=TICK * n), TICK * n) for n in range(1, 6)]
    lines.append(_heartbeat(blocker, start + timedelta(seconds=2.6), 2.6))
    lines += [
        _heartbeat(live, start + timedelta(seconds=TICK * n), TICK * n)
        for n in range(6, HEARTBEATS + 1)
    ]
    last_heartbeat = start + timedelta(seconds=TICK * HEARTBEATS)
    publish_lines(url, lines, 1)
    args = ("--partitions", "1", "--batch-size", "1", "--contract", str(contract))
    first = ServeProcess(store_url, url, *args, "--ack-wait", "4", folder=tmp_path)
    second = ServeProcess(store_url, url, *args, "--ack-wait", "4", folder=tmp_path)
    try:
        with node_row_locked(store_url, blocker) as holder:
            first.start().wait_serving()
            wait_until(lambda: first.owned() == {0}, 30, "the first serve to own the partition")
            second.start()  # to be a member waiting for the partition
            wait_until(
                lambda: blocked_by(store_url, holder) == 1,
                60,
                "the batch of the blocker's heartbeat to wait on its row",
            )
            second.wait_serving()
            first.kill()  # its batch (the blocker's heartbeat) stays unacknowledged
        wait_until(lambda: second.owned() == {0}, 30, "the second serve to take the partition")
        total = len(registered) + len(lines)
        wait_until(lambda: outcome_total(store_url) >= total, 60, "the rest of the backlog")
        wait_until(lambda: _states(store_url)[str(live)] != "active", 30, "the live node to expire")
        assert second.terminate() == 0, second.log
    finally:
        first.stop_quietly()
        second.stop_quietly()
    served = comparable(store_url)
    kinds = [event["event_type"] for event in served["events"][str(live)]]
    assert kinds == ["NodeRegistrationInitiated", "NodeBecameActive", "NodeLivenessExpired"]
    expiry = served["events"][str(live)][-1]
    assert datetime.fromisoformat(expiry["emitted_at"]) > last_heartbeat + timedelta(seconds=WINDOW)
    wall = _wall_tick(expiry["causation_id"], last_heartbeat)
    reference = postgres_server.create_schema(postgres_url)
    with ServiceRegistrationRuntime.from_url(reference, contract_path=contract) as runtime:
        runtime.run_lines([*registered, *_with_ticks(lines, contract, [wall])], "input.jsonl")
    assert served == comparable(reference)
