"""``onex-registration demo``: a simulated cluster through the real orchestrator and store."""

from __future__ import annotations

import tempfile
from collections import Counter
from pathlib import Path

from omnibase_core.enums import EnumCoreErrorCode, EnumNodeKind
from omnibase_core.models.errors import ModelOnexError
from omnibase_infra.cli.cli_table import render_table
from omnibase_infra.enums import EnumLifecycleEventType, EnumRegistrationState
from omnibase_infra.models import ModelLifecycleEvent, ModelRegistrationProjection
from omnibase_infra.runtime.model_run_summary import ModelRunSummary
from omnibase_infra.runtime.service_registration_runtime import ServiceRegistrationRuntime
from omnibase_infra.runtime.wire_codec import encode_envelope
from omnibase_infra.simulation.model_cluster_history import ModelClusterHistory
from omnibase_infra.simulation.model_demo_report import ModelDemoReport
from omnibase_infra.simulation.model_invariant_result import ModelInvariantResult
from omnibase_infra.simulation.service_cluster_simulator import ServiceClusterSimulator
from omnibase_infra.simulation.service_demo_invariants import ServiceDemoInvariants
from omnibase_infra.stores.protocol_registration_store import ProtocolRegistrationStore
from omnibase_infra.stores.store_factory import open_store

_SHORT_TYPES = {
    "ModelNodeIntrospectionEvent": "introspections",
    "ModelNodeHeartbeatEvent": "heartbeats",
    "ModelRuntimeTick": "ticks",
}


class ServiceRegistrationDemo:
    """Simulates a cluster, runs its history through the orchestrator, and checks the result.

    The history is encoded to wire lines and applied by :class:`ServiceRegistrationRuntime`
    exactly as ``onex-registration run`` applies a file, on a SQLite store (a file in a
    temporary folder, removed afterwards, unless ``store_url`` names one). The account depends
    only on the seed and the parameters.
    """

    def __init__(
        self,
        *,
        seed: int = 7,
        nodes: int = 100,
        minutes: float = 30.0,
        store_url: str | None = None,
    ) -> None:
        """Raises ``ModelOnexError(INVALID_PARAMETER)`` for out-of-range parameters (see
        :class:`ServiceClusterSimulator`)."""
        self._seed = seed
        self._nodes = nodes
        self._minutes = minutes
        self._store_url = store_url
        ServiceClusterSimulator(seed=seed, nodes=nodes, minutes=minutes)  # validate early

    def run(self) -> ModelDemoReport:
        """Simulate, apply, inspect and check.

        The invariants compare the store with the simulated history alone, so a given store
        must be empty. Raises ``ModelOnexError``: ``INVALID_PARAMETER`` when the given store
        already holds data (nothing is written to it), and the store's and the
        orchestrator's errors when the store cannot be opened or the orchestrator cannot start.
        """
        if self._store_url is not None:
            return self._run_on(self._store_url, "given store")
        with tempfile.TemporaryDirectory(prefix="onex-registration-demo-") as folder:
            url = f"sqlite:///{Path(folder, 'registration.db')}"
            return self._run_on(url, "SQLite, temporary file")

    def _run_on(self, url: str, store_label: str) -> ModelDemoReport:
        store = open_store(url)
        try:
            _require_empty(store)
            with ServiceRegistrationRuntime(store) as runtime:
                window = runtime.settings.liveness_window.total_seconds()
                history = ServiceClusterSimulator(
                    seed=self._seed,
                    nodes=self._nodes,
                    minutes=self._minutes,
                    liveness_window_seconds=window,
                ).simulate()
                lines = (encode_envelope(envelope) for envelope in history.envelopes)
                summary, _ = runtime.run_lines(
                    lines, f"demo-seed-{self._seed}", collect_events=False
                )
            nodes = store.list_nodes()
            events = list(store.iter_events())
            outcomes = store.count_outcomes()
        finally:
            store.close()
        invariants = ServiceDemoInvariants().check(history, nodes, events, summary, outcomes)
        account = self._account(history, summary, nodes, events, invariants, store_label)
        return ModelDemoReport(account=account, summary=summary, invariants=invariants)

    # --- the account ---------------------------------------------------------------------------
    def _account(
        self,
        history: ModelClusterHistory,
        summary: ModelRunSummary,
        nodes: list[ModelRegistrationProjection],
        events: list[ModelLifecycleEvent],
        invariants: tuple[ModelInvariantResult, ...],
        store_label: str,
    ) -> str:
        by_type = history.count_by_payload_type()
        mix = ", ".join(f"{by_type.get(k, 0):,} {v}" for k, v in _SHORT_TYPES.items())
        crashes = history.total_crashes
        shutdowns = sum(n.shutdowns for n in history.nodes)
        restarts = sum(n.restarts for n in history.nodes)
        stalls = history.total_stalls
        sections = [
            f"Simulated cluster: {len(history.nodes)} nodes over {self._minutes:g} minutes "
            f"(seed {self._seed}), store: {store_label}",
            f"  {len(history.envelopes):,} messages: {mix}",
            f"  {crashes} crashes, {shutdowns} clean shutdowns, {restarts} restarts "
            f"(higher epoch, new version), {stalls} stalls (heartbeats lost until expiry)",
            f"  {history.redeliveries} envelopes delivered twice, "
            f"{history.stale_deliveries} late heartbeats of an old epoch",
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
            _indent(self._events_table(events)),
            "",
            "Nodes by state",
            _indent(self._states_table(nodes)),
            "",
            "Nodes that are not active",
            _indent(self._inactive_table(history, nodes)),
            "",
            "Invariants",
            *(
                f"  {'ok  ' if i.passed else 'FAIL'}  {i.statement} ({i.detail})"
                for i in invariants
            ),
            "",
            (
                "All invariants hold."
                if all(i.passed for i in invariants)
                else f"{sum(not i.passed for i in invariants)} invariant(s) FAILED."
            ),
        ]
        return "\n".join(sections)

    @staticmethod
    def _events_table(events: list[ModelLifecycleEvent]) -> str:
        counts = Counter(e.event_type for e in events)
        rows: list[tuple[object, ...]] = [
            (t.value, counts.get(t, 0)) for t in EnumLifecycleEventType
        ]
        rows.append(("total", len(events)))
        return render_table(("EVENT", "COUNT"), rows, right_aligned=frozenset({1}))

    @staticmethod
    def _states_table(nodes: list[ModelRegistrationProjection]) -> str:
        kinds = list(EnumNodeKind)
        rows: list[tuple[object, ...]] = []
        for state in EnumRegistrationState:
            in_state = [n for n in nodes if n.state is state]
            per_kind = Counter(n.node_type for n in in_state)
            rows.append((state.value, len(in_state), *(per_kind.get(k, 0) for k in kinds)))
        rows.append(
            ("total", len(nodes), *(sum(1 for n in nodes if n.node_type is k) for k in kinds))
        )
        return render_table(
            ("STATE", "NODES", *(k.value for k in kinds)),
            rows,
            right_aligned=frozenset(range(1, len(kinds) + 2)),
        )

    @staticmethod
    def _inactive_table(
        history: ModelClusterHistory, nodes: list[ModelRegistrationProjection]
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


def _require_empty(store: ProtocolRegistrationStore) -> None:
    """Raise ``ModelOnexError(INVALID_PARAMETER)`` unless ``store`` holds no data at all.

    Counts the processed inputs first (one grouped query), then looks for one event and one
    node, so a large store is refused without being read whole.
    """
    processed = sum(store.count_outcomes().values())
    has_events = next(iter(store.iter_events()), None) is not None
    if not processed and not has_events and not store.list_nodes():
        return
    held = f"{processed:,} processed inputs" if processed else "events and nodes"
    raise ModelOnexError(
        f"the store {store.url} already holds data ({held}); the demo checks its invariants "
        "against what it simulates alone, so it needs an empty store: give --store a new "
        "file or database, or omit --store for a temporary one",
        EnumCoreErrorCode.INVALID_PARAMETER,
        {"store_url": store.url, "processed_inputs": processed},
    )


def _reasons(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))


def _indent(text: str) -> str:
    return "\n".join(f"  {line}" if line else line for line in text.splitlines())
