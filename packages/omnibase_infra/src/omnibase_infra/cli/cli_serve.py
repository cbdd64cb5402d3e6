"""``onex-registration serve``: the orchestrator as a live service on NATS JetStream.

Loaded only when the command runs (it imports the bus client, the stores and the engine).
The service opens the store, connects to the bus and creates its streams and consumers
(idempotently; a partition count that differs from the streams already on the server is
refused), then owns partitions through the store's leases and consumes them with
:class:`~omnibase_infra.runtime.service_bus_node_runner.ServiceBusNodeRunner`.

SIGTERM or SIGINT: stop fetching, commit and acknowledge the batch in flight, release the
partitions and leases, exit 0, all within ``--shutdown-timeout``; a second signal, or the
timeout, ends the process at once with status 1 and one line on stderr. Logs go to stderr,
one line each: start, every lease change, stop.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
from typing import Any, cast

from omnibase_core.enums import EnumCoreErrorCode
from omnibase_core.models.bus import ModelBusPartition
from omnibase_core.models.errors import ModelOnexError
from omnibase_infra.bus import ModelNatsBusOptions
from omnibase_infra.models import ModelPartition
from omnibase_infra.nodes.node_registration_orchestrator.node import NodeRegistrationOrchestrator
from omnibase_infra.nodes.node_registration_orchestrator.registration_bus import (
    INPUT_STREAM,
    registration_bus_settings,
)
from omnibase_infra.nodes.node_registration_orchestrator.service_registration_runtime import (
    build_registration_node,
)
from omnibase_infra.runtime.service_bus_node_runner import ServiceBusNodeRunner
from omnibase_infra.runtime.service_outbox_relay import ServiceOutboxRelay
from omnibase_infra.stores.protocol_partition_leases import ProtocolPartitionLeases
from omnibase_infra.stores.store_factory import open_store
from omnibase_infra.utils.url_masking import mask_url

PROG = "onex-registration"
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_log = logging.getLogger("omnibase_infra.serve")
#: A repeated signal within this many seconds of the first is the same request.
_ECHO_SECONDS = 1.0


def serve_command(args: argparse.Namespace) -> int:
    """Run ``serve`` with parsed arguments; returns the exit status (0 after a clean stop).

    Raises ``ModelOnexError`` (one-line message) for a store or bus that cannot be opened, a
    bus URL that is not ``nats://``, or streams that conflict with the settings.
    """
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT, stream=sys.stderr, force=True)
    for noisy in ("nats", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return asyncio.run(_serve(args))


async def _serve(args: argparse.Namespace) -> int:
    stop = asyncio.Event()
    signals = _Signals(stop, args.shutdown_timeout)
    signals.install()
    contract = NodeRegistrationOrchestrator.load_registration_contract(args.contract)
    settings = contract.lifecycle.to_settings()
    bus_settings = registration_bus_settings(
        contract,
        args.partitions,
        max_batch=args.batch_size,
        ack_wait_seconds=args.ack_wait,
    )
    health = _health_server(args.http)
    store = await asyncio.to_thread(open_store, args.store)
    try:
        leases = await asyncio.to_thread(_open_leases, store)
        try:
            if stop.is_set():
                return 0
            from omnibase_infra.bus import EventBusNats  # needs the nats extra

            bus = await EventBusNats.connect(
                args.bus, bus_settings, ModelNatsBusOptions(connection_name=f"{PROG} serve")
            )
            try:
                await _run_service(args, contract, settings, store, leases, bus, health, stop)
            finally:
                await bus.close()
        finally:
            await asyncio.to_thread(leases.close)
    finally:
        store.close()
    _log.info("stopped: batches in flight committed and acknowledged, leases released")
    return 0


async def _run_service(
    args: argparse.Namespace,
    contract: Any,
    settings: Any,
    store: Any,
    leases: ProtocolPartitionLeases,
    bus: Any,
    health: _Health | None,
    stop: asyncio.Event,
) -> None:
    """Run the partitions, the outbox relay and the health server until ``stop``; then drain
    the partitions first, the relay after them (it publishes what they committed)."""

    def node_for(partition: ModelPartition) -> Any:
        return build_registration_node(settings, partition, contract, contract_path=args.contract)

    metrics = health.metrics if health is not None else None
    observer = None
    if metrics is not None:
        from omnibase_infra.runtime.service_runner_metrics import ServiceRunnerMetrics

        observer = ServiceRunnerMetrics(metrics)
    interval = contract.lifecycle.tick_interval_seconds
    runner: ServiceBusNodeRunner[Any] = ServiceBusNodeRunner(
        bus,
        store,
        node_for,
        stream=INPUT_STREAM,
        leases=leases,
        batch_size=args.batch_size,
        tick_interval_seconds=None if args.no_ticks else interval,
        observer=observer,
    )
    relay = ServiceOutboxRelay(store, bus, leases)
    stop_waiter: asyncio.Task[None] | None = None
    if health is not None:
        _add_readiness_checks(health.server, store, bus, runner)
        await health.server.start()
        stop_waiter = asyncio.create_task(_mark_stopping(stop, health.server))
    _log.info(
        "serving store %s on bus %s: stream %s, %d partitions, batch %d, %s%s",
        store.url,
        mask_url(args.bus),
        INPUT_STREAM,
        args.partitions,
        args.batch_size,
        "no ticks" if args.no_ticks else f"ticks every {interval:g} s",
        "" if health is None else f", http on {health.server.address}",
    )
    relay_stop = asyncio.Event()
    relay_task = asyncio.create_task(relay.run(relay_stop), name="outbox-relay")
    gauges = asyncio.create_task(_gauges(relay, bus, runner, metrics, relay_stop))
    try:
        runner_task = asyncio.create_task(runner.run(stop), name="partitions")
        done, _ = await asyncio.wait({runner_task, relay_task}, return_when="FIRST_COMPLETED")
        if relay_task in done:  # the relay failed: stop the partitions too
            stop.set()
        await runner_task
    finally:
        relay_stop.set()
        try:
            await relay_task
        finally:
            gauges.cancel()
            if stop_waiter is not None:
                stop_waiter.cancel()
            if health is not None:
                await health.server.stop()


async def _gauges(
    relay: ServiceOutboxRelay,
    bus: Any,
    runner: ServiceBusNodeRunner[Any],
    metrics: Any,
    stop: asyncio.Event,
) -> None:
    """Keep the relay's lag and published count and the owned partitions' backlog on the
    bus on the metrics, every second."""
    if metrics is None:
        return
    published = 0
    while not stop.is_set():
        metrics.set_relay_lag(relay.lag)
        metrics.record_relay_published(relay.published - published)
        published = relay.published
        for index in sorted(runner.owned):
            ref = ModelBusPartition(stream=runner.stream.name, index=index)
            with contextlib.suppress(ModelOnexError):
                metrics.set_pending(index, await bus.backlog(ref))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 1.0)


async def _mark_stopping(stop: asyncio.Event, server: Any) -> None:
    await stop.wait()
    server.mark_stopping("stopping: draining the batches in flight")


def _add_readiness_checks(
    server: Any, store: Any, bus: Any, runner: ServiceBusNodeRunner[Any]
) -> None:
    """``/readyz``: the store answers, the bus is connected, the partitions were balanced."""

    async def store_check() -> str:
        last = await asyncio.to_thread(store.last_sequence)
        return f"last event {last}"

    async def bus_check() -> str:
        if not bus.is_connected:
            raise RuntimeError("not connected to NATS (reconnecting)")
        return "connected"

    async def consumers_check() -> str:
        if not runner.balanced:
            raise RuntimeError("partitions not balanced yet")
        owned = ", ".join(str(k) for k in sorted(runner.owned))
        return f"owning [{owned}] of {runner.stream.partitions}"

    server.add_readiness_check("store", store_check)
    server.add_readiness_check("bus", bus_check)
    server.add_readiness_check("consumers", consumers_check)


class _Health:
    """The health server and the metrics it serves (``--http``)."""

    def __init__(self, server: Any, metrics: Any) -> None:
        self.server = server
        self.metrics = metrics


def _health_server(address: str | None) -> _Health | None:
    """The ``--http`` server and its metrics, or ``None``; raises ``ModelOnexError`` for a bad
    address and when ``prometheus_client`` is missing."""
    if address is None:
        return None
    from omnibase_infra.runtime.service_health_http import ServiceHealthHttp, parse_http_address

    host, port = parse_http_address(address)
    try:
        from omnibase_infra.runtime.service_serve_metrics import ServiceServeMetrics
    except ModuleNotFoundError as exc:
        raise ModelOnexError(
            f"--http needs {exc.name or 'prometheus_client'}: pip install 'omnibase-infra[serve]'",
            EnumCoreErrorCode.CONFIGURATION_ERROR,
        ) from None
    metrics = ServiceServeMetrics()
    return _Health(ServiceHealthHttp(host, port, metrics=metrics), metrics)


def _open_leases(store: Any) -> ProtocolPartitionLeases:
    """This process's lease manager on ``store`` (owner: host and process id). Raises
    ``ModelOnexError(CONFIGURATION_ERROR)`` when the store allows no second process."""
    owner = f"{socket.gethostname()}:{os.getpid()}"
    return cast(ProtocolPartitionLeases, store.open_leases(owner))


class _Signals:
    """SIGTERM/SIGINT: the first sets ``stop`` and arms the shutdown timer; a second one, or
    the timer, ends the process at once (status 1) with one line."""

    def __init__(self, stop: asyncio.Event, timeout: float) -> None:
        self._stop = stop
        self._timeout = timeout
        self._loop = asyncio.get_running_loop()
        self._first: float | None = None

    def install(self) -> None:
        for number in (signal.SIGTERM, signal.SIGINT):
            self._loop.add_signal_handler(number, self._on_signal, number)

    def _on_signal(self, number: int) -> None:
        name = signal.Signals(number).name
        now = self._loop.time()
        if self._first is not None:
            # One keypress or `kill` can arrive twice (a launcher such as `uv run` forwards
            # the signal its process group also received): only a later one insists.
            if now - self._first >= _ECHO_SECONDS:
                _abort(
                    f"second {name} while stopping: exiting without finishing the batch in flight"
                )
            return
        self._first = now
        _log.info("%s received: finishing the batches in flight, then stopping", name)
        self._stop.set()
        self._loop.call_later(
            self._timeout,
            _abort,
            f"stopping took longer than --shutdown-timeout {self._timeout:g} s: exiting with "
            "the batch in flight unacknowledged (it will be delivered again)",
        )


def _abort(message: str) -> None:
    sys.stderr.write(f"{PROG}: error: {message}\n")
    sys.stderr.flush()
    os._exit(1)
