"""Test support for the live service: inputs, publishing, ``serve`` as a real process, and a
comparable view of what a store holds.

- :func:`history_lines`: a simulated cluster's envelopes as wire lines (ticks included);
- :func:`registration_runner`: a :class:`ServiceBusNodeRunner` of the registration node;
- :func:`publish_lines`: send lines to a NATS server as ``onex-registration publish`` does;
- :class:`ServeProcess`: ``onex-registration serve`` in a subprocess (``start``, ``wait_serving``,
  ``terminate``, ``kill``, ``log``);
- :func:`comparable`: registry, per-node event history and dead letters, without what depends
  on where a message came from (file line or bus partition) or on the partition count.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

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
from omnibase_infra.runtime.wire_codec import encode_envelope
from omnibase_infra.simulation import ServiceClusterSimulator
from omnibase_infra.stores.protocol_registration_store import ProtocolRegistrationStore
from omnibase_infra.stores.store_factory import open_store

CONTRACT = NodeRegistrationOrchestrator.load_registration_contract()


def history_lines(seed: int = 11, nodes: int = 12, minutes: float = 6) -> list[str]:
    """A simulated cluster as wire lines, in delivery order (a few envelopes repeated)."""
    history = ServiceClusterSimulator(seed=seed, nodes=nodes, minutes=minutes).simulate()
    return [encode_envelope(envelope) for envelope in history.envelopes]


def registration_runner(bus: Any, store: Any, **options: Any) -> ServiceBusNodeRunner[Any]:
    """The registration node on ``bus`` (its input stream) over ``store``."""
    settings = CONTRACT.lifecycle.to_settings()

    def node_for(partition: ModelPartition) -> Any:
        return build_registration_node(settings, partition, CONTRACT)

    defaults = {"stream": INPUT_STREAM, "fetch_timeout_seconds": 0.1}
    return ServiceBusNodeRunner(bus, store, node_for, **{**defaults, **options})


def bus_settings(partitions: int, **options: Any) -> Any:
    """The registration bus settings (input and output streams) with ``partitions``."""
    return registration_bus_settings(CONTRACT, partitions, **options)


async def publish_lines_async(url: str, lines: Sequence[str], partitions: int) -> Any:
    """Publish ``lines`` to the NATS server at ``url`` as ``onex-registration publish`` does:
    missing streams are created, the consumers (and their ack wait and batch bound, which a
    running ``serve`` set) are left alone."""
    from omnibase_infra.bus import EventBusNats, ServiceBusProducer

    bus = await EventBusNats.connect(url, bus_settings(partitions), setup=False)
    try:
        await bus.setup(producer=True)
        return await ServiceBusProducer(bus).publish_lines(lines)
    finally:
        await bus.close()


def publish_lines(url: str, lines: Sequence[str], partitions: int) -> Any:
    """:func:`publish_lines_async` from synchronous code; returns the producer's report."""
    return asyncio.run(publish_lines_async(url, lines, partitions))


def expected_outcomes(lines: Sequence[str], partitions: int) -> int:
    """Inbox records a complete consumption of ``lines`` leaves: one per distinct keyed
    envelope, one per partition for each distinct tick (repeats are de-duplicated)."""
    import json

    keyed: set[str] = set()
    ticks: set[str] = set()
    for line in lines:
        wire = json.loads(line)
        (keyed if "node_id" in wire["payload"] else ticks).add(wire["envelope_id"])
    return len(keyed) + partitions * len(ticks)


def outcome_total(url: str) -> int:
    """Inbox records in the store at ``url``."""
    store = open_store(url)
    try:
        return sum(store.count_outcomes().values())
    finally:
        store.close()


def wait_until(
    condition: Callable[[], bool], timeout: float, what: str, pause: float = 0.05
) -> None:
    """Poll ``condition`` until true; ``AssertionError`` naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(pause)


def comparable(store_or_url: ProtocolRegistrationStore | str) -> dict[str, Any]:
    """What a consumption of an input leaves, comparable between ``run`` on a file and
    ``serve`` on any number of partitions: the registry rows; each node's events in order
    (without ids and sequences: the expiry events of a tick are numbered per partition); the
    dead letters (without where they were read and when)."""
    store = open_store(store_or_url) if isinstance(store_or_url, str) else store_or_url
    try:
        events: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for event in store.iter_events():
            row = event.model_dump(mode="json", exclude={"event_id", "sequence"})
            events[row["node_id"]].append(row)
        letters = sorted(
            (
                d.model_dump(
                    mode="json",
                    exclude={"recorded_at", "source", "line_number", "dead_letter_id"},
                )
                for d in store.list_dead_letters()
            ),
            key=repr,
        )
        return {
            "nodes": [n.model_dump(mode="json") for n in store.list_nodes()],
            "events": dict(events),
            "dead_letters": letters,
        }
    finally:
        if isinstance(store_or_url, str):
            store.close()


def run_file(lines: Sequence[bytes | str], store_url: str) -> None:
    """What ``onex-registration run`` does with ``lines`` as a file, into ``store_url`` (the
    same runtime, in this process: no interpreter start-up)."""
    from omnibase_infra.nodes.node_registration_orchestrator.service_registration_runtime import (
        ServiceRegistrationRuntime,
    )

    with ServiceRegistrationRuntime.from_url(store_url) as runtime:
        runtime.run_lines(lines, "input.jsonl")


class ServeProcess:
    """``onex-registration serve`` as a subprocess; its log (stderr) goes to a file.

    ``env``: variables added to the process's environment (a failure test arms a fault point
    with ``ONEX_TEST_ONLY_FAULT_SIGNAL``).
    """

    def __init__(
        self,
        store_url: str,
        bus_url: str,
        *args: str,
        folder: Path,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.argv = [
            sys.executable,
            "-m",
            "omnibase_infra.cli",
            "serve",
            "--store",
            store_url,
            "--bus",
            bus_url,
            *args,
        ]
        self.folder = folder
        self.env = dict(env or {})
        self.log_path = folder / f"serve-{time.monotonic_ns()}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> ServeProcess:
        """Start the process (returns at once; see :meth:`wait_serving`)."""
        inherited = ("ONEX_REGISTRATION_STORE", "ONEX_TEST_ONLY_FAULT_SIGNAL")
        env = {k: v for k, v in os.environ.items() if k not in inherited}
        env.update(self.env)
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                self.argv, stdout=subprocess.DEVNULL, stderr=log, cwd=self.folder, env=env
            )
        return self

    @property
    def log(self) -> str:
        """Everything the process logged so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    @property
    def pid(self) -> int:
        """The process id."""
        assert self.process is not None
        return self.process.pid

    def owned(self) -> set[int]:
        """Partitions the process owns, as its last lease log line says."""
        owned: set[int] = set()
        for line in self.log.splitlines():
            if "; owning [" in line:
                listed = line.rsplit("; owning [", 1)[1].split("]", 1)[0]
                owned = {int(k) for k in listed.split(", ") if k}
        return owned

    def committed(self) -> int:
        """Messages the process committed, as its drain log line says (after a clean stop)."""
        for line in self.log.splitlines():
            if "partitions drained: " in line:
                return int(line.rsplit("partitions drained: ", 1)[1].split(" ", 1)[0])
        raise AssertionError(f"no drain line in the log:\n{self.log}")

    def wait_serving(self, timeout: float = 30.0) -> ServeProcess:
        """Wait for the start line; fails with the log if the process exits first."""

        def serving() -> bool:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"serve exited with {self.process.returncode}:\n{self.log}")
            return "serving store" in self.log

        wait_until(serving, timeout, "serve to start")
        return self

    def terminate(self, timeout: float = 30.0) -> int:
        """SIGTERM, then the exit status."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def kill(self) -> None:
        """SIGKILL, as a crash."""
        assert self.process is not None
        self.process.kill()
        self.process.wait(10)

    def stop_quietly(self) -> None:
        """Make sure the process is gone (test teardown)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
