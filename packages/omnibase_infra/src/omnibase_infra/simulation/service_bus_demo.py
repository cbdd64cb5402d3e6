"""``onex-registration demo --bus``: a simulated cluster through a real bus and ``serve``.

The history of :class:`ServiceClusterSimulator` is published through the real producer
(:class:`~omnibase_infra.bus.ServiceBusProducer`: each envelope on its node's partition, each
tick on every partition) to NATS JetStream, where ``serve`` processes consume it into the
store and relay its outbox to the output stream. The demo waits until the store holds an
outcome for every delivery and the relay has published every event, reads the output stream
back (without consuming it), stops the processes it started, and checks the plain demo's
invariants plus the output's: every outbox event published once, in commit order, on its
partition.

Who runs ``serve``: by default the demo starts ``serve_processes`` of them (``serve_command``,
``--no-ticks``: the history carries its ticks) and stops them at the end;
with ``serve_processes=0`` it uses processes already running on the given store and bus (they
must run with ``--no-ticks`` and the same partition count). Several processes share the
partitions through the store's leases, so they need PostgreSQL; one process may use SQLite.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from omnibase_core.enums import EnumCoreErrorCode
from omnibase_core.models.bus import ModelEventBusSettings
from omnibase_core.models.errors import ModelOnexError
from omnibase_infra.enums import EnumMessageOutcome
from omnibase_infra.nodes.node_registration_orchestrator.node import NodeRegistrationOrchestrator
from omnibase_infra.nodes.node_registration_orchestrator.registration_bus import (
    INPUT_STREAM,
    OUTPUT_STREAM,
    registration_bus_settings,
)
from omnibase_infra.runtime.model_run_summary import ModelRunSummary
from omnibase_infra.runtime.service_outbox_relay import RELAY_LEASE
from omnibase_infra.runtime.wire_codec import encode_envelope
from omnibase_infra.simulation.model_bus_demo_setup import ModelBusDemoSetup
from omnibase_infra.simulation.model_cluster_history import ModelClusterHistory
from omnibase_infra.simulation.model_demo_report import ModelDemoReport
from omnibase_infra.simulation.model_invariant_result import ModelInvariantResult
from omnibase_infra.simulation.service_cluster_simulator import ServiceClusterSimulator
from omnibase_infra.simulation.service_demo_invariants import ServiceDemoInvariants
from omnibase_infra.simulation.service_registration_demo import require_empty_store
from omnibase_infra.simulation.service_serve_fleet import (
    DEFAULT_SERVE_COMMAND,
    ServiceServeFleet,
)
from omnibase_infra.stores.protocol_registration_store import ProtocolRegistrationStore
from omnibase_infra.stores.store_factory import open_store, parse_store_url
from omnibase_infra.utils.url_masking import mask_url

_POLL_SECONDS = 0.1
_MAX_SERVE_PROCESSES = 16


class ServiceBusDemo:
    """The demo over a real bus (see the module doc). ``progress`` receives one line per step
    (the command line prints them on stderr)."""

    def __init__(
        self,
        *,
        bus_url: str,
        seed: int = 7,
        nodes: int = 100,
        minutes: float = 30.0,
        store_url: str | None = None,
        serve_processes: int = 1,
        partitions: int = 4,
        stall_seconds: float = 60.0,
        serve_command: Sequence[str] = DEFAULT_SERVE_COMMAND,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        """Check the parameters; nothing is started or opened yet.

        Raises ``ModelOnexError(INVALID_PARAMETER)`` for an out-of-range simulation parameter
        (see :class:`ServiceClusterSimulator`), a process count outside ``0..16``, a partition
        count outside ``1..4096``, a non-positive ``stall_seconds``, a store the processes
        cannot share (an in-memory store; SQLite with several processes), or no store with
        ``serve_processes=0``.
        """
        ServiceClusterSimulator(seed=seed, nodes=nodes, minutes=minutes)  # validate early
        if not 0 <= serve_processes <= _MAX_SERVE_PROCESSES:
            raise _invalid(
                f"--serve {serve_processes}: the demo starts 1 to {_MAX_SERVE_PROCESSES} serve "
                "processes, or 0 to use processes already running"
            )
        if not 1 <= partitions <= 4096:
            raise _invalid(f"--partitions {partitions} must be within 1..4096")
        if not stall_seconds > 0:
            raise _invalid(f"stall_seconds {stall_seconds!r} must be a positive number of seconds")
        if store_url is None and serve_processes == 0:
            raise _invalid(
                "--serve 0 uses serve processes already running: give their store with --store "
                "so the demo can check what they applied"
            )
        if store_url is not None:
            scheme = parse_store_url(store_url).scheme
            if scheme == "memory":
                raise _invalid(
                    f"--store {mask_url(store_url)}: serve processes cannot share an in-memory "
                    "store; give a SQLite file (one process) or a PostgreSQL database"
                )
            if scheme == "sqlite" and serve_processes > 1:
                raise _invalid(
                    f"--serve {serve_processes} with a SQLite store: several serve processes "
                    "share the partitions through PostgreSQL leases; use --store "
                    "postgresql://... or --serve 1"
                )
        elif serve_processes > 1:
            raise _invalid(
                f"--serve {serve_processes} needs --store postgresql://...: several serve "
                "processes share the partitions through PostgreSQL leases (the default "
                "temporary SQLite store serves one process)"
            )
        self._bus_url = bus_url
        self._seed = seed
        self._nodes = nodes
        self._minutes = minutes
        self._store_url = store_url
        self._serve = serve_processes
        self._partitions = partitions
        self._stall = stall_seconds
        self._serve_command = tuple(serve_command)
        self._progress = progress or (lambda _line: None)

    def run(self) -> ModelDemoReport:
        """Simulate, publish, wait for the services, read the output back and check.

        Raises ``ModelOnexError``: ``INVALID_PARAMETER`` when the store or the bus already holds
        data (nothing is written to either); ``ModelBusUnavailableError`` when the bus cannot be
        reached; ``INVALID_STATE`` when a serve process exits, or the services stop making
        progress for ``stall_seconds`` (naming what is missing and where the logs are); the
        store's errors when it cannot be opened. Serve processes it started are stopped in every
        case, an interrupt (``KeyboardInterrupt``) included.
        """
        with tempfile.TemporaryDirectory(prefix="onex-registration-demo-") as folder:
            if self._store_url is not None:
                url, label = self._store_url, "given store"
            else:
                url, label = (
                    f"sqlite:///{Path(folder, 'registration.db')}",
                    "SQLite, temporary file",
                )
            return asyncio.run(self._run(url, label, Path(folder)))

    async def _run(self, store_url: str, store_label: str, folder: Path) -> ModelDemoReport:
        contract = NodeRegistrationOrchestrator.load_registration_contract()
        window = contract.lifecycle.to_settings().liveness_window.total_seconds()
        history = ServiceClusterSimulator(
            seed=self._seed,
            nodes=self._nodes,
            minutes=self._minutes,
            liveness_window_seconds=window,
        ).simulate()
        settings = registration_bus_settings(contract, self._partitions)
        store = await asyncio.to_thread(open_store, store_url)
        try:
            await asyncio.to_thread(require_empty_store, store)
            await self._require_empty_bus(settings)
            fleet = ServiceServeFleet(
                self._serve,
                store_url,
                self._bus_url,
                self._partitions,
                folder,
                command=self._serve_command,
            )
            with fleet:
                if self._serve:
                    self._progress(f"starting {self._serve} serve process(es) on {store_label}")
                    await asyncio.to_thread(fleet.start, self._stall)
                report = await self._publish(history, settings)
                self._progress(
                    f"published {report.copies:,} messages ({report.duplicates} dropped by the "
                    "bus as duplicates); waiting for the services"
                )
                await self._wait_applied(store, fleet, history)
                published = await self._read_output(settings)
                statuses = fleet.stop() if self._serve else ()
            return self._report(store, store_label, history, report, published, statuses, fleet)
        finally:
            store.close()

    # --- steps -----------------------------------------------------------------------------
    async def _require_empty_bus(self, settings: ModelEventBusSettings) -> None:
        from omnibase_infra.bus.service_nats_stream_reader import ServiceNatsStreamReader

        reader = await ServiceNatsStreamReader.connect(self._bus_url)
        try:
            held = 0
            for stream in settings.streams:
                held += sum(await reader.message_counts(stream))
        finally:
            await reader.close()
        if held:
            raise _invalid(
                f"the bus at {mask_url(self._bus_url)} already holds {held:,} messages in the "
                f"streams {INPUT_STREAM}-* and {OUTPUT_STREAM}-*; the demo checks what it "
                "publishes alone, so it needs empty streams: use another nats-server "
                "(nats-server -js -p PORT -sd EMPTY_FOLDER) or remove those streams"
            )

    async def _publish(self, history: ModelClusterHistory, settings: ModelEventBusSettings) -> Any:
        from omnibase_infra.bus import EventBusNats, ModelNatsBusOptions, ServiceBusProducer

        bus = await EventBusNats.connect(
            self._bus_url,
            settings,
            ModelNatsBusOptions(connection_name="onex-registration demo", connect_attempts=1),
        )
        try:
            lines = [encode_envelope(envelope) for envelope in history.envelopes]
            return await ServiceBusProducer(bus).publish_lines(lines, f"demo-seed-{self._seed}")
        finally:
            await bus.close()

    async def _wait_applied(
        self,
        store: ProtocolRegistrationStore,
        fleet: ServiceServeFleet,
        history: ModelClusterHistory,
    ) -> None:
        """Until every delivery has an outcome in the store and the relay published every
        event; ``INVALID_STATE`` after ``stall_seconds`` without progress."""
        expected = _expected_outcomes(history, self._partitions)

        def outcomes() -> int:
            return sum(store.count_outcomes().values())

        await self._wait(fleet, outcomes, lambda: expected, "inputs applied")

        def relayed() -> int:
            return store.relay_cursor(RELAY_LEASE)

        await self._wait(fleet, relayed, store.last_sequence, "events published by the relay")

    async def _wait(
        self,
        fleet: ServiceServeFleet,
        done: Callable[[], int],
        target: Callable[[], int],
        what: str,
    ) -> None:
        last, since = -1, time.monotonic()
        while True:
            if self._serve:
                fleet.check_running()
            reached, wanted = await asyncio.to_thread(lambda: (done(), target()))
            if reached >= wanted:
                return
            if reached != last:
                last, since = reached, time.monotonic()
            elif time.monotonic() - since > self._stall:
                logs = (
                    "; logs: " + ", ".join(str(path) for path in fleet.logs)
                    if self._serve
                    else " (check the serve processes and their logs)"
                )
                raise ModelOnexError(
                    f"the services made no progress for {self._stall:g} s: {reached:,} of "
                    f"{wanted:,} {what}{logs}",
                    EnumCoreErrorCode.INVALID_STATE,
                    {"reached": reached, "wanted": wanted},
                )
            await asyncio.sleep(_POLL_SECONDS)

    async def _read_output(
        self, settings: ModelEventBusSettings
    ) -> list[list[tuple[str | None, bytes]]]:
        from omnibase_infra.bus.service_nats_stream_reader import ServiceNatsStreamReader

        output = settings.stream(OUTPUT_STREAM)
        assert output is not None
        reader = await ServiceNatsStreamReader.connect(self._bus_url)
        try:
            return [
                [(m.idempotency_id, m.value) for m in await reader.read(output, index)]
                for index in range(output.partitions)
            ]
        finally:
            await reader.close()

    def _report(
        self,
        store: ProtocolRegistrationStore,
        store_label: str,
        history: ModelClusterHistory,
        producer: Any,
        published: Sequence[Sequence[tuple[str | None, bytes]]],
        statuses: tuple[int, ...],
        fleet: ServiceServeFleet,
    ) -> ModelDemoReport:
        nodes = store.list_nodes()
        events = list(store.iter_events())
        outcomes = store.count_outcomes()
        ignored = store.count_ignored_by_reason()
        dead = Counter(letter.reason.value for letter in store.list_dead_letters())
        summary = ModelRunSummary(
            total=sum(outcomes.values()) + producer.duplicates,
            applied=outcomes[EnumMessageOutcome.APPLIED],
            ignored=outcomes[EnumMessageOutcome.IGNORED],
            duplicates=producer.duplicates,
            dead_lettered=outcomes[EnumMessageOutcome.DEAD_LETTERED],
            ignored_by_reason=ignored,
            dead_lettered_by_reason=dict(dead),
            events_emitted=len(events),
        )
        checks = ServiceDemoInvariants()
        invariants = [
            *checks.check(history, nodes, events, summary, outcomes, tick_copies=self._partitions),
            checks.published_output(events, published),
        ]
        if self._serve:
            unclean = [
                f"process {index + 1} exited {status} (log {fleet.logs[index]})"
                for index, status in enumerate(statuses)
                if status != 0
            ]
            invariants.append(
                ModelInvariantResult(
                    statement="every serve process stops cleanly on SIGTERM",
                    passed=not unclean,
                    detail=f"{len(statuses) - len(unclean)}/{len(statuses)} exited 0"
                    + (": " + ", ".join(unclean) if unclean else ""),
                )
            )
        return ModelDemoReport(
            seed=self._seed,
            minutes=self._minutes,
            store_label=store_label,
            history=history,
            summary=summary,
            nodes=tuple(nodes),
            events_by_type=ModelDemoReport.count_events(events),
            invariants=tuple(invariants),
            bus=ModelBusDemoSetup(
                bus_url=mask_url(self._bus_url),
                partitions=self._partitions,
                serve_processes=self._serve,
                published=producer.copies,
                dropped_duplicates=producer.duplicates,
                output_messages=sum(len(messages) for messages in published),
            ),
        )


def _expected_outcomes(history: ModelClusterHistory, partitions: int) -> int:
    """Store outcomes a complete consumption leaves: one per distinct keyed envelope, one per
    partition for each distinct tick (the bus drops repeated envelope ids)."""
    keyed: set[str] = set()
    ticks: set[str] = set()
    for envelope in history.envelopes:
        node_id = getattr(envelope.payload, "node_id", None)
        (keyed if node_id is not None else ticks).add(str(envelope.envelope_id))
    return len(keyed) + partitions * len(ticks)


def _invalid(message: str) -> ModelOnexError:
    return ModelOnexError(message, EnumCoreErrorCode.INVALID_PARAMETER)


__all__ = ["ServiceBusDemo"]
