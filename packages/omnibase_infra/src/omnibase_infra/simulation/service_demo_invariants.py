"""The lifecycle invariants a simulated run must satisfy."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from uuid import UUID

from omnibase_infra.enums import EnumLifecycleEventType, EnumMessageOutcome, EnumRegistrationState
from omnibase_infra.models import ModelLifecycleEvent, ModelRegistrationProjection
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
    ) -> tuple[ModelInvariantResult, ...]:
        """Every invariant of the demo, in a fixed order."""
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
        results.append(self._outcomes_add_up(history, summary, stored_outcomes))
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
    ) -> ModelInvariantResult:
        messages = len(history.envelopes)
        parts = summary.applied + summary.ignored + summary.duplicates + summary.dead_lettered
        distinct = messages - history.redeliveries
        in_store = sum(stored.values())
        return ModelInvariantResult(
            statement="outcomes add up to the input",
            passed=parts == messages and in_store == distinct,
            detail=f"{summary.applied} applied + {summary.ignored} ignored + "
            f"{summary.duplicates} duplicates + {summary.dead_lettered} dead-lettered = "
            f"{parts} of {messages} messages; the store records {in_store} of "
            f"{distinct} distinct envelopes",
        )


def _per_node(
    events: Sequence[ModelLifecycleEvent], event_type: EnumLifecycleEventType
) -> Counter[UUID]:
    """How many ``event_type`` events each node got."""
    return Counter(e.node_id for e in events if e.event_type is event_type)


def _offenders(wrong: list[str]) -> str:
    if not wrong:
        return ""
    more = f" and {len(wrong) - _MAX_NAMED} more" if len(wrong) > _MAX_NAMED else ""
    return "; " + ", ".join(wrong[:_MAX_NAMED]) + more
