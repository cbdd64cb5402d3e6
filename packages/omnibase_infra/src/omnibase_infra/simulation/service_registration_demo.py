"""``onex-registration demo``: a simulated cluster through the real orchestrator and store."""

from __future__ import annotations

import tempfile
from pathlib import Path

from omnibase_core.enums import EnumCoreErrorCode
from omnibase_core.models.errors import ModelOnexError
from omnibase_infra.nodes.node_registration_orchestrator.service_registration_runtime import (
    ServiceRegistrationRuntime,
)
from omnibase_infra.runtime.wire_codec import encode_envelope
from omnibase_infra.simulation.model_demo_report import ModelDemoReport
from omnibase_infra.simulation.service_cluster_simulator import ServiceClusterSimulator
from omnibase_infra.simulation.service_demo_invariants import ServiceDemoInvariants
from omnibase_infra.stores.protocol_registration_store import ProtocolRegistrationStore
from omnibase_infra.stores.store_factory import open_store


class ServiceRegistrationDemo:
    """Simulates a cluster, runs its history through the orchestrator, and checks the result.

    The history is encoded to wire lines and applied by :class:`ServiceRegistrationRuntime`
    exactly as ``onex-registration run`` applies a file, on a SQLite store (a file in a
    temporary folder, removed afterwards, unless ``store_url`` names one). The report is data
    (``onex-registration demo`` renders it) and depends only on the seed and the parameters.
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
            require_empty_store(store)
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
        return ModelDemoReport(
            seed=self._seed,
            minutes=self._minutes,
            store_label=store_label,
            history=history,
            summary=summary,
            nodes=tuple(nodes),
            events_by_type=ModelDemoReport.count_events(events),
            invariants=invariants,
        )


def require_empty_store(store: ProtocolRegistrationStore) -> None:
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
