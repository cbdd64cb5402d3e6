"""The lifecycle invariants a simulated run must satisfy."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from uuid import UUID

from omnibase_infra.enums import EnumLifecycleEventType, EnumMessageOutcome, EnumRegistrationState
from omnibase_infra.models import ModelLifecycleEvent, ModelRegistrationProjection, partition_hash
from omnibase_infra.runtime.model_run_summary import ModelRunSummary
from omnibase_infra.simulation.enum_simulated_fate import EnumSimulatedFate
from omnibase_infra.simulation.model_cluster_history import ModelClusterHistory
from omnibase_infra.simulation.model_invariant_result import ModelInvariantResult

_EXPECTED_STATE = {
    EnumSimulatedFate.RUNNING: EnumRegistrationState.ACTIVE,
    EnumSimulatedFate.CRASHED: EnumRegistrationState.LIVENESS_EXPIRED,
    EnumSimulatedFate.SHUT_DOWN: EnumRegistrationState.DEREGISTERED,
}
_MAX_NAMED = 5
_Rows = dict[UUID, ModelRegistrationProjection]


class ServiceDemoInvariants:
    """Checks a registry and its event log against the simulator's ground truth.

    Stateless; :meth:`check` returns one verdict per invariant (it never raises for a broken
    invariant: the caller decides what a failure means).
    """

    def check(
        self,
        history: ModelClusterHistory,
        nodes: Sequence[ModelRegistrationProjection],
        events: Sequence[ModelLifecycleEvent],
        summary: ModelRunSummary,
        stored_outcomes: dict[EnumMessageOutcome, int],
        *,
        tick_copies: int = 1,
    ) -> tuple[ModelInvariantResult, ...]:
        """Every invariant of the demo, in a fixed order.

        ``tick_copies`` is how many times each tick was delivered: once to a run over a file,
        once to every partition on a bus (each copy is an input of its own there).
        """
        rows = {node.node_id: node for node in nodes}
        results = [
            self._fate(history, rows, fate, statement)
            for fate, statement in (
                (EnumSimulatedFate.CRASHED, "every crashed node ends liveness_expired"),
                (EnumSimulatedFate.SHUT_DOWN, "every shut-down node ends deregistered"),
                (EnumSimulatedFate.RUNNING, "every running node ends active"),
            )
        ]
        results.append(self._one_expiry_per_crash(history, events))
        results.append(self._one_request_per_stall(history, events))
        results.append(self._running_nodes_current(history, rows))
        results.append(self._outcomes_add_up(history, summary, stored_outcomes, tick_copies))
        results.append(
            ModelInvariantResult(
                statement="every redelivered envelope is a duplicate",
                passed=summary.duplicates == history.redeliveries,
                detail=f"{history.redeliveries} redelivered, {summary.duplicates} duplicates",
            )
        )
        stale = summary.ignored_by_reason.get("stale_epoch", 0)
        results.append(
            ModelInvariantResult(
                statement="every late heartbeat of an old epoch is ignored",
                passed=stale == history.stale_deliveries and summary.ignored == stale,
                detail=f"{history.stale_deliveries} late, {stale} ignored as stale_epoch, "
                f"{summary.ignored} ignored in all",
            )
        )
        results.append(
            ModelInvariantResult(
                statement="no message is dead-lettered",
                passed=summary.dead_lettered == 0,
                detail=f"{summary.dead_lettered} dead-lettered",
            )
        )
        return tuple(results)

    @staticmethod
    def published_output(
        events: Sequence[ModelLifecycleEvent],
        published: Sequence[Sequence[tuple[str | None, bytes]]],
    ) -> ModelInvariantResult:
        """The events published on the output equal the outbox, each exactly once.

        ``published[k]`` is what output partition ``k`` holds, in its order, as
        ``(idempotency id, bytes)``; ``events`` the outbox in commit order. Partition ``k``
        must hold exactly the outbox events of the nodes of partition ``k``, in commit order,
        each message carrying its event id as idempotency id and in its body.
        """
        count = max(1, len(published))
        expected: list[list[str]] = [[] for _ in range(count)]
        for event in events:
            expected[partition_hash(event.node_id) % count].append(str(event.event_id))
        outbox = {event_id for ids in expected for event_id in ids}
        seen: Counter[str] = Counter()
        wrong: list[str] = []
        ordered = True
        for index, messages in enumerate(published):
            ids = [message_id or "" for message_id, _ in messages]
            seen.update(ids)
            for message_id, value in messages:
                if _body_event_id(value) != message_id:
                    wrong.append(f"partition {index}: message {message_id} carries another body")
            mine = set(expected[index])
            misplaced = sum(1 for i in ids if i in outbox and i not in mine)
            if misplaced:
                wrong.append(f"partition {index}: {misplaced} event(s) of other partitions")
            firsts = list(dict.fromkeys(i for i in ids if i in mine))
            present = set(firsts)
            if firsts != [i for i in expected[index] if i in present]:
                ordered = False
                wrong.append(f"partition {index}: the events are out of commit order")
        missing = len(outbox - seen.keys())
        extra = sum(n for event_id, n in seen.items() if event_id not in outbox)
        repeated = sum(n - 1 for event_id, n in seen.items() if n > 1 and event_id in outbox)
        total = sum(len(messages) for messages in published)
        return ModelInvariantResult(
            statement="the output stream holds every outbox event once, in commit order",
            passed=not wrong and not missing and not extra and not repeated,
            detail=f"{len(events)} events in the outbox, {total} published: {missing} missing, "
            f"{extra} unknown, {repeated} repeated, {'in' if ordered else 'out of'} order"
            + _offenders(wrong),
        )

    @staticmethod
    def _fate(
        history: ModelClusterHistory, rows: _Rows, fate: EnumSimulatedFate, statement: str
    ) -> ModelInvariantResult:
        expected = _EXPECTED_STATE[fate]
        wanted = [n for n in history.nodes if n.fate is fate]
        wrong = [
            f"{n.node_name} is {rows[n.node_id].state.value if n.node_id in rows else 'missing'}"
            for n in wanted
            if n.node_id not in rows or rows[n.node_id].state is not expected
        ]
        return ModelInvariantResult(
            statement=statement,
            passed=not wrong,
            detail=f"{len(wanted) - len(wrong)}/{len(wanted)}" + _offenders(wrong),
        )

    @staticmethod
    def _one_expiry_per_crash(
        history: ModelClusterHistory, events: Sequence[ModelLifecycleEvent]
    ) -> ModelInvariantResult:
        expiries = _per_node(events, EnumLifecycleEventType.NODE_LIVENESS_EXPIRED)
        wrong = [
            f"{n.node_name}: {n.crashes} crashes + {n.stalls} stalls, "
            f"{expiries.get(n.node_id, 0)} expiries"
            for n in history.nodes
            if expiries.get(n.node_id, 0) != n.crashes + n.stalls
        ]
        return ModelInvariantResult(
            statement="exactly one NodeLivenessExpired per crash (and per stall)",
            passed=not wrong,
            detail=f"{history.total_crashes} crashes + {history.total_stalls} stalls, "
            f"{sum(expiries.values())} expiries" + _offenders(wrong),
        )

    @staticmethod
    def _one_request_per_stall(
        history: ModelClusterHistory, events: Sequence[ModelLifecycleEvent]
    ) -> ModelInvariantResult:
        requests = _per_node(events, EnumLifecycleEventType.NODE_INTROSPECTION_REQUESTED)
        wrong = [
            f"{n.node_name}: {n.stalls} stalls, {requests.get(n.node_id, 0)} requests"
            for n in history.nodes
            if requests.get(n.node_id, 0) != n.stalls
        ]
        return ModelInvariantResult(
            statement="a stalled node is asked to introspect once when it is heard again",
            passed=not wrong,
            detail=f"{history.total_stalls} stalls, {sum(requests.values())} requests"
            + _offenders(wrong),
        )

    @staticmethod
    def _running_nodes_current(history: ModelClusterHistory, rows: _Rows) -> ModelInvariantResult:
        wrong = []
        for n in history.nodes:
            row = rows.get(n.node_id)
            if (
                n.fate is EnumSimulatedFate.RUNNING
                and row is not None
                and (row.epoch != n.final_epoch or row.node_version != n.final_version)
            ):
                wrong.append(
                    f"{n.node_name} is epoch {row.epoch} v{row.node_version}, "
                    f"expected epoch {n.final_epoch} v{n.final_version}"
                )
        restarted = sum(1 for n in history.nodes if n.restarts)
        return ModelInvariantResult(
            statement="every node's row holds its latest epoch and version",
            passed=not wrong,
            detail=f"{restarted} nodes restarted" + _offenders(wrong),
        )

    @staticmethod
    def _outcomes_add_up(
        history: ModelClusterHistory,
        summary: ModelRunSummary,
        stored: dict[EnumMessageOutcome, int],
        tick_copies: int,
    ) -> ModelInvariantResult:
        ticks = history.count_by_payload_type().get("ModelRuntimeTick", 0)
        messages = len(history.envelopes) + (tick_copies - 1) * ticks
        parts = summary.applied + summary.ignored + summary.duplicates + summary.dead_lettered
        distinct = messages - history.redeliveries
        in_store = sum(stored.values())
        return ModelInvariantResult(
            statement="outcomes add up to the input",
            passed=parts == messages and in_store == distinct,
            detail=f"{summary.applied} applied + {summary.ignored} ignored + "
            f"{summary.duplicates} duplicates + {summary.dead_lettered} dead-lettered = "
            f"{parts} of {messages} messages; the store records {in_store} of "
            f"{distinct} distinct " + ("envelopes" if tick_copies == 1 else "deliveries"),
        )


def _per_node(
    events: Sequence[ModelLifecycleEvent], event_type: EnumLifecycleEventType
) -> Counter[UUID]:
    """How many ``event_type`` events each node got."""
    return Counter(e.node_id for e in events if e.event_type is event_type)


def _body_event_id(value: bytes) -> str | None:
    """The ``event_id`` field of a published event's JSON body, or ``None``."""
    try:
        body = json.loads(value)
    except ValueError:
        return None
    event_id = body.get("event_id") if isinstance(body, dict) else None
    return event_id if isinstance(event_id, str) else None


def _offenders(wrong: list[str]) -> str:
    if not wrong:
        return ""
    more = f" and {len(wrong) - _MAX_NAMED} more" if len(wrong) > _MAX_NAMED else ""
    return "; " + ", ".join(wrong[:_MAX_NAMED]) + more
