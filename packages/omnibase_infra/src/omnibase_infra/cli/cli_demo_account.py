"""The account ``onex-registration demo`` prints: a :class:`ModelDemoReport` as text.

The account depends only on the report, which depends only on the seed and the parameters, so
two runs with the same seed print the same text.
"""

from __future__ import annotations

from collections import Counter

from omnibase_core.enums import EnumNodeKind
from omnibase_infra.cli.cli_table import render_table
from omnibase_infra.cli.cli_text import one_line
from omnibase_infra.enums import EnumLifecycleEventType, EnumRegistrationState
from omnibase_infra.models import ModelRegistrationProjection
from omnibase_infra.simulation.model_cluster_history import ModelClusterHistory
from omnibase_infra.simulation.model_demo_report import ModelDemoReport

_SHORT_TYPES = {
    "ModelNodeIntrospectionEvent": "introspections",
    "ModelNodeHeartbeatEvent": "heartbeats",
    "ModelRuntimeTick": "ticks",
}


def render_demo_account(report: ModelDemoReport) -> str:
    """The demo's account: the simulated cluster, message outcomes, events by type, nodes by
    state, the nodes that are not active, and every invariant with its verdict.

    Every table cell goes through :func:`render_table`, so no value can break a line or send
    a terminal escape sequence. Raises nothing.
    """
    history, summary, invariants = report.history, report.summary, report.invariants
    by_type = history.count_by_payload_type()
    mix = ", ".join(f"{by_type.get(k, 0):,} {v}" for k, v in _SHORT_TYPES.items())
    shutdowns = sum(n.shutdowns for n in history.nodes)
    restarts = sum(n.restarts for n in history.nodes)
    sections = [
        f"Simulated cluster: {len(history.nodes)} nodes over {report.minutes:g} minutes "
        f"(seed {report.seed}), store: {report.store_label}",
        f"  {len(history.envelopes):,} messages: {mix}",
        f"  {history.total_crashes} crashes, {shutdowns} clean shutdowns, {restarts} restarts "
        f"(higher epoch, new version), {history.total_stalls} stalls (heartbeats lost until "
        "expiry)",
        f"  {history.redeliveries} envelopes delivered twice, "
        f"{history.stale_deliveries} late heartbeats of an old epoch",
        *_bus_lines(report),
        "",
        "Message outcomes",
        _indent(
            render_table(
                ("OUTCOME", "MESSAGES", "REASONS"),
                [
                    ("applied", summary.applied, ""),
                    ("ignored", summary.ignored, _reasons(summary.ignored_by_reason)),
                    ("duplicates", summary.duplicates, ""),
                    (
                        "dead-lettered",
                        summary.dead_lettered,
                        _reasons(summary.dead_lettered_by_reason),
                    ),
                    ("total", summary.total, ""),
                ],
                right_aligned=frozenset({1}),
            )
        ),
        "",
        "Lifecycle events by type",
        _indent(_events_table(report)),
        "",
        "Nodes by state",
        _indent(_states_table(report.nodes)),
        "",
        "Nodes that are not active",
        _indent(_inactive_table(history, report.nodes)),
        "",
        "Invariants",
        *(f"  {'ok  ' if i.passed else 'FAIL'}  {i.statement} ({i.detail})" for i in invariants),
        "",
        (
            "All invariants hold."
            if all(i.passed for i in invariants)
            else f"{sum(not i.passed for i in invariants)} invariant(s) FAILED."
        ),
    ]
    return "\n".join(sections)


def _bus_lines(report: ModelDemoReport) -> list[str]:
    bus = report.bus
    if bus is None:
        return []
    serving = (
        f"{bus.serve_processes} serve process{'es' * (bus.serve_processes != 1)} started by "
        "the demo"
        if bus.serve_processes
        else "serve processes already running"
    )
    return [
        f"Bus: {one_line(bus.bus_url)}, {bus.partitions} partitions, {serving}",
        f"  {bus.published:,} messages published (each tick on every partition), "
        f"{bus.dropped_duplicates} dropped by the bus as duplicates; "
        f"{bus.output_messages:,} events on the output stream",
    ]


def _events_table(report: ModelDemoReport) -> str:
    rows: list[tuple[object, ...]] = [
        (t.value, report.events_by_type.get(t, 0)) for t in EnumLifecycleEventType
    ]
    rows.append(("total", report.events_total))
    return render_table(("EVENT", "COUNT"), rows, right_aligned=frozenset({1}))


def _states_table(nodes: tuple[ModelRegistrationProjection, ...]) -> str:
    kinds = list(EnumNodeKind)
    rows: list[tuple[object, ...]] = []
    for state in EnumRegistrationState:
        in_state = [n for n in nodes if n.state is state]
        per_kind = Counter(n.node_type for n in in_state)
        rows.append((state.value, len(in_state), *(per_kind.get(k, 0) for k in kinds)))
    rows.append(("total", len(nodes), *(sum(1 for n in nodes if n.node_type is k) for k in kinds)))
    return render_table(
        ("STATE", "NODES", *(k.value for k in kinds)),
        rows,
        right_aligned=frozenset(range(1, len(kinds) + 2)),
    )


def _inactive_table(
    history: ModelClusterHistory, nodes: tuple[ModelRegistrationProjection, ...]
) -> str:
    truth = {n.node_id: n for n in history.nodes}
    rows: list[tuple[object, ...]] = []
    for node in nodes:
        if node.state is EnumRegistrationState.ACTIVE:
            continue
        simulated = truth.get(node.node_id)
        fate = simulated.fate.value if simulated else "unknown"
        story = (
            (
                f"{simulated.crashes} crash(es), {simulated.shutdowns} shutdown(s), "
                f"{simulated.restarts} restart(s), {simulated.stalls} stall(s)"
            )
            if simulated
            else ""
        )
        rows.append(
            (
                node.node_name,
                node.state.value,
                fate,
                node.epoch,
                node.node_version,
                node.updated_at,
                story,
            )
        )
    if not rows:
        return "(none)"
    return render_table(
        ("NAME", "STATE", "SIMULATED", "EPOCH", "VERSION", "SINCE", "HISTORY"),
        rows,
        right_aligned=frozenset({3}),
    )


def _reasons(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))


def _indent(text: str) -> str:
    return "\n".join(f"  {line}" if line else line for line in text.splitlines())
