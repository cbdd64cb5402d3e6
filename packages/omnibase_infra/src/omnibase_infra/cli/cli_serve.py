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
import logging
import os
import signal
import socket
import sys
from typing import Any

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
from omnibase_infra.stores.protocol_registration_store import ProtocolRegistrationStore
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
    contract = NodeRegistrationOrchestrator.load_registration_contract()
    settings = contract.lifecycle.to_settings()
    bus_settings = registration_bus_settings(
        contract,
        args.partitions,
        max_batch=args.batch_size,
        ack_wait_seconds=args.ack_wait,
    )
    store = await asyncio.to_thread(open_store, args.store)
    try:
        if stop.is_set():
            return 0
        from omnibase_infra.bus import EventBusNats  # needs the nats extra

        bus = await EventBusNats.connect(
            args.bus, bus_settings, ModelNatsBusOptions(connection_name=f"{PROG} serve")
        )
        try:
            leases = _open_leases(store)

            def node_for(partition: ModelPartition) -> Any:
                return build_registration_node(settings, partition, contract)

            runner: ServiceBusNodeRunner[Any] = ServiceBusNodeRunner(
                bus,
                store,
                node_for,
                stream=INPUT_STREAM,
                leases=leases,
                batch_size=args.batch_size,
                tick_interval_seconds=None
                if args.no_ticks
                else contract.lifecycle.tick_interval_seconds,
            )
            _log.info(
                "serving store %s on bus %s: stream %s, %d partitions, batch %d, %s, %s",
                store.url,
                mask_url(args.bus),
                INPUT_STREAM,
                args.partitions,
                args.batch_size,
                "no ticks"
                if args.no_ticks
                else f"ticks every {contract.lifecycle.tick_interval_seconds:g} s",
                "partitions shared through leases"
                if leases is not None
                else "one owner of every partition",
            )
            await runner.run(stop)
        finally:
            await bus.close()
    finally:
        store.close()
    _log.info("stopped: batches in flight committed and acknowledged, partitions released")
    return 0


def _open_leases(store: ProtocolRegistrationStore) -> Any:
    """The store's partition leases (owner: this host and process), or ``None`` when the store
    has none (one process then owns every partition)."""
    open_leases = getattr(store, "open_leases", None)
    if open_leases is None:
        return None
    return open_leases(f"{socket.gethostname()}:{os.getpid()}")


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
