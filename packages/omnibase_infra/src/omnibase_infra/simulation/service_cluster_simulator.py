"""A deterministic simulated cluster: the input of the demo, the tests and the benchmark."""

from __future__ import annotations

import heapq
import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from omnibase_core.enums import EnumCoreErrorCode, EnumMessageCategory, EnumNodeKind
from omnibase_core.models.errors import ModelOnexError
from omnibase_core.models.events import ModelEventEnvelope
from omnibase_infra.enums import EnumIntrospectionReason
from omnibase_infra.nodes.node_registration_orchestrator.models import (
    ModelNodeHeartbeatEvent,
    ModelNodeIntrospectionEvent,
    ModelRuntimeTick,
)
from omnibase_infra.simulation.enum_simulated_fate import EnumSimulatedFate
from omnibase_infra.simulation.model_cluster_history import ModelClusterHistory
from omnibase_infra.simulation.model_simulated_node import ModelSimulatedNode

TOPIC_INTROSPECTION = "onex.evt.platform.node-introspection.v1"
TOPIC_HEARTBEAT = "onex.evt.platform.node-heartbeat.v1"
TOPIC_TICK = "onex.intent.platform.runtime-tick.v1"

_EPOCH_START = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
_SERVICES = ("billing", "search", "ingest", "auth", "catalog", "notify", "ledger", "media")
_START, _HEARTBEAT, _CRASH, _SHUTDOWN, _RESTART, _UPDATE, _STALE, _STALL, _ANSWER = range(9)


@dataclass
class _Node:
    node_id: UUID
    name: str
    kind: EnumNodeKind
    heartbeat_every: float
    clock_offset: float
    epoch: int
    minor: int
    concurrency: int
    correlation_id: UUID
    alive: bool = False
    started_at: float = 0.0
    last_heartbeat_at: float = 0.0
    fate: EnumSimulatedFate = EnumSimulatedFate.RUNNING
    crashes: int = 0
    shutdowns: int = 0
    restarts: int = 0
    stalls: int = 0
    silent_until: float = -1.0

    @property
    def version(self) -> str:
        return f"1.{self.minor}.0"


class ServiceClusterSimulator:
    """Generates the history of a cluster of nodes over simulated time, deterministically.

    Nodes start (most within the first minute), heartbeat every 10-30 s, and some of them
    crash (heartbeats stop), shut down cleanly (a ``shutdown`` introspection), restart with a
    higher epoch and a new version, change their capabilities, or stall: their heartbeats are
    lost long enough for them to expire, then resume, and the node answers the registry's
    introspection request by announcing itself again. A scheduler ticks every
    ``tick_interval_seconds``. A few envelopes are delivered twice and, after some restarts,
    a heartbeat of the previous epoch arrives late. Every disruption is timed so that the
    registry can settle before the end: a crash happens early enough for its liveness window to
    lapse and a tick to expire it, and a crashed node restarts only after it has expired.

    The same ``seed`` and parameters always yield the same envelopes, ids included.
    """

    def __init__(
        self,
        *,
        seed: int = 7,
        nodes: int = 100,
        minutes: float = 30.0,
        tick_interval_seconds: float = 5.0,
        liveness_window_seconds: float = 90.0,
        started_at: datetime = _EPOCH_START,
    ) -> None:
        """Configure the simulation; raises ``ModelOnexError(INVALID_PARAMETER)`` when a
        parameter is out of range (fewer than one node, a run shorter than five minutes, a
        non-positive tick interval or liveness window, a naive start time)."""
        problems = []
        if nodes < 1:
            problems.append(f"nodes={nodes} must be at least 1")
        if minutes < 5:
            problems.append(f"minutes={minutes} must be at least 5 (crashes need time to expire)")
        if tick_interval_seconds <= 0:
            problems.append(f"tick_interval_seconds={tick_interval_seconds} must be positive")
        if liveness_window_seconds <= 0:
            problems.append(f"liveness_window_seconds={liveness_window_seconds} must be positive")
        if started_at.tzinfo is None:
            problems.append("started_at must be timezone-aware")
        if problems:
            raise ModelOnexError(
                "ServiceClusterSimulator: " + "; ".join(problems),
                EnumCoreErrorCode.INVALID_PARAMETER,
                {"problems": problems},
            )
        self._seed = seed
        self._node_count = nodes
        self._duration = minutes * 60.0
        self._tick = tick_interval_seconds
        self._window = liveness_window_seconds
        self._t0 = started_at
        # A crashed node must stay silent past its window plus a few ticks to be expired.
        self._settle = liveness_window_seconds + 3 * tick_interval_seconds + 30.0

    def simulate(self) -> ModelClusterHistory:
        """Run the simulation and return the envelopes (in delivery order) and the truth."""
        rng = random.Random(self._seed)
        width = max(3, len(str(self._node_count - 1)))
        nodes = [self._new_node(rng, index, width) for index in range(self._node_count)]
        queue: list[tuple[float, int, int, int, int]] = []
        counter = 0

        def schedule(at: float, action: int, index: int, epoch: int) -> None:
            nonlocal counter
            if at <= self._duration:
                heapq.heappush(queue, (at, counter, action, index, epoch))
                counter += 1

        for index, node in enumerate(nodes):
            late = min(600.0, self._duration / 2)  # late starters, still well before the end
            start = rng.uniform(0, 60) if rng.random() < 0.8 else rng.uniform(60, late)
            schedule(start, _START, index, node.epoch)
        ticks = int(self._duration // self._tick)
        for sequence in range(ticks + 1):
            schedule(sequence * self._tick, -1, sequence, 0)

        out: list[tuple[float, int, ModelEventEnvelope[Any]]] = []
        redeliveries = stale = 0

        def emit(at: float, envelope: ModelEventEnvelope[Any], may_repeat: bool = True) -> None:
            nonlocal counter, redeliveries
            out.append((at, counter, envelope))
            counter += 1
            if may_repeat and rng.random() < 0.01:
                again = at + rng.uniform(0.5, 5.0)
                if again <= self._duration:
                    out.append((again, counter, envelope))  # the same bytes, again
                    counter += 1
                    redeliveries += 1

        while queue:
            at, _, action, index, epoch = heapq.heappop(queue)
            if action == -1:
                emit(at, self._tick_envelope(rng, at, index), may_repeat=False)
                continue
            node = nodes[index]
            if action in (_START, _RESTART):
                if action == _RESTART:
                    node.epoch += 1
                    node.minor += 1
                    node.restarts += 1
                    node.correlation_id = _uuid(rng)
                node.alive, node.started_at, node.fate = True, at, EnumSimulatedFate.RUNNING
                emit(at, self._introspection(rng, node, at, EnumIntrospectionReason.STARTUP))
                schedule(
                    at + node.heartbeat_every * rng.uniform(0.9, 1.1), _HEARTBEAT, index, node.epoch
                )
                self._plan_next(rng, node, index, at, schedule)
            elif not node.alive or epoch != node.epoch:
                if action == _STALE:
                    emit(
                        at,
                        self._heartbeat(rng, node, at, epoch, sent_at=node.last_heartbeat_at),
                        may_repeat=False,
                    )
                    stale += 1
                continue
            elif action == _HEARTBEAT:
                if at < node.silent_until:  # lost on the way
                    pass
                else:
                    node.last_heartbeat_at = at
                    emit(at, self._heartbeat(rng, node, at, node.epoch, sent_at=at))
                    if node.silent_until >= 0:  # the registry asks, the node answers
                        node.silent_until = -1.0
                        schedule(at + rng.uniform(0.5, 2.0), _ANSWER, index, node.epoch)
                schedule(
                    at + node.heartbeat_every * rng.uniform(0.9, 1.1), _HEARTBEAT, index, node.epoch
                )
            elif action == _UPDATE:
                node.concurrency *= 2
                emit(
                    at,
                    self._introspection(rng, node, at, EnumIntrospectionReason.CAPABILITY_CHANGE),
                )
                self._plan_next(rng, node, index, at, schedule)
            elif action == _STALL:
                node.stalls += 1
                node.silent_until = at + rng.uniform(self._settle, self._settle + 120)
            elif action == _ANSWER:
                emit(at, self._introspection(rng, node, at, EnumIntrospectionReason.REQUEST))
                self._plan_next(rng, node, index, at, schedule)
            elif action == _CRASH:
                node.alive, node.fate = False, EnumSimulatedFate.CRASHED
                node.crashes += 1
                if rng.random() < 0.5:
                    back = at + rng.uniform(self._settle, self._settle + 300)
                    if back <= self._duration - 30:
                        schedule(back, _RESTART, index, node.epoch)
                        if rng.random() < 0.3:  # a heartbeat of the old epoch arrives late
                            schedule(back + rng.uniform(0.5, 3.0), _STALE, index, node.epoch)
            elif action == _SHUTDOWN:
                node.alive, node.fate = False, EnumSimulatedFate.SHUT_DOWN
                node.shutdowns += 1
                emit(at, self._introspection(rng, node, at, EnumIntrospectionReason.SHUTDOWN))
                if rng.random() < 0.4:
                    back = at + rng.uniform(20, 300)
                    if back <= self._duration - 30:
                        schedule(back, _RESTART, index, node.epoch)

        out.sort(key=lambda item: (item[0], item[1]))
        return ModelClusterHistory(
            seed=self._seed,
            started_at=self._t0,
            ended_at=self._at(self._duration),
            envelopes=tuple(envelope for _, _, envelope in out),
            nodes=tuple(
                ModelSimulatedNode(
                    node_id=n.node_id,
                    node_name=n.name,
                    fate=n.fate,
                    final_epoch=n.epoch,
                    final_version=n.version,
                    crashes=n.crashes,
                    shutdowns=n.shutdowns,
                    restarts=n.restarts,
                    stalls=n.stalls,
                )
                for n in nodes
            ),
            redeliveries=redeliveries,
            stale_deliveries=stale,
        )

    # --- planning ------------------------------------------------------------------------------
    def _plan_next(
        self, rng: random.Random, node: _Node, index: int, now: float, schedule: Any
    ) -> None:
        draw = rng.random()
        at = now + rng.uniform(60, 900)
        if draw < 0.18:
            if at <= self._duration - self._settle - 15:
                schedule(at, _CRASH, index, node.epoch)
        elif draw < 0.30:
            if at <= self._duration - 10:
                schedule(at, _SHUTDOWN, index, node.epoch)
        elif draw < 0.40:
            if at <= self._duration - 10:
                schedule(at, _UPDATE, index, node.epoch)
        elif draw < 0.46 and at <= self._duration - 2 * self._settle - 180:
            schedule(at, _STALL, index, node.epoch)

    def _new_node(self, rng: random.Random, index: int, width: int) -> _Node:
        service = _SERVICES[rng.randrange(len(_SERVICES))]
        return _Node(
            node_id=_uuid(rng),
            name=f"{service}-{index:0{width}d}",
            kind=list(EnumNodeKind)[rng.randrange(len(EnumNodeKind))],
            heartbeat_every=rng.uniform(10.0, 30.0),
            clock_offset=rng.uniform(-2.0, 2.0),
            epoch=rng.randint(1, 5),
            minor=rng.randint(0, 4),
            concurrency=rng.choice((4, 8, 16)),
            correlation_id=_uuid(rng),
        )

    # --- envelopes -----------------------------------------------------------------------------
    def _at(self, seconds: float) -> datetime:
        return self._t0 + timedelta(seconds=round(seconds, 3))

    def _introspection(
        self, rng: random.Random, node: _Node, at: float, reason: EnumIntrospectionReason
    ) -> ModelEventEnvelope[Any]:
        payload = ModelNodeIntrospectionEvent(
            node_id=node.node_id,
            node_name=node.name,
            node_type=node.kind,
            node_version=node.version,
            capabilities={"max_concurrency": node.concurrency, "protocols": ["http", "grpc"]},
            endpoints={
                "api": f"http://{node.name}.cluster.internal:8080",
                "health": f"http://{node.name}.cluster.internal:8080/health",
            },
            reason=reason,
            epoch=node.epoch,
            timestamp=self._at(at + node.clock_offset),
        )
        return self._envelope(rng, at, node.correlation_id, TOPIC_INTROSPECTION, payload)

    def _heartbeat(
        self, rng: random.Random, node: _Node, at: float, epoch: int, sent_at: float
    ) -> ModelEventEnvelope[Any]:
        payload = ModelNodeHeartbeatEvent(
            node_id=node.node_id,
            epoch=epoch,
            uptime_seconds=round(max(0.0, sent_at - node.started_at), 3),
            active_operations=rng.randint(0, 8),
            timestamp=self._at(sent_at + node.clock_offset),
        )
        return self._envelope(rng, at, node.correlation_id, TOPIC_HEARTBEAT, payload)

    def _tick_envelope(
        self, rng: random.Random, at: float, sequence: int
    ) -> ModelEventEnvelope[Any]:
        payload = ModelRuntimeTick(
            tick_id=_uuid(rng),
            now=self._at(at),
            sequence_number=sequence,
            scheduler_id="cluster-scheduler",
            tick_interval_ms=int(self._tick * 1000),
        )
        return self._envelope(rng, at, _uuid(rng), TOPIC_TICK, payload, EnumMessageCategory.INTENT)

    def _envelope(
        self,
        rng: random.Random,
        at: float,
        correlation_id: UUID,
        topic: str,
        payload: Any,
        category: EnumMessageCategory = EnumMessageCategory.EVENT,
    ) -> ModelEventEnvelope[Any]:
        return ModelEventEnvelope[Any](
            envelope_id=_uuid(rng),
            envelope_timestamp=self._at(at),
            correlation_id=correlation_id,
            topic=topic,
            payload_type=type(payload).__name__,
            category=category,
            payload=payload,
        )


def _uuid(rng: random.Random) -> UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)
