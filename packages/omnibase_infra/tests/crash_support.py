"""Support for the failure tests of ``serve`` processes: what the bus and the store say
after a kill, the serve arguments the tests use, and a fixture that reaps the processes.

A process is killed (or frozen, or asked to stop) exactly at a step of its batch loop by
arming a test-only fault point: ``env={FAULT: "<point>:<n>:<SIGNAL>"}`` on a
:class:`~serve_support.ServeProcess` (see ``omnibase_infra.runtime.fault_points``).
"""

from __future__ import annotations

import asyncio
import json
import signal
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import nats
import pytest
from serve_probes import all_acknowledged
from serve_support import ServeProcess, comparable, outcome_total, run_file, wait_until

from omnibase_infra.enums import EnumDeadLetterReason
from omnibase_infra.nodes.node_registration_orchestrator.registration_bus import (
    OUTPUT_STREAM,
)
from omnibase_infra.runtime.fault_points import ENV_VAR as FAULT
from omnibase_infra.stores.store_factory import open_store

#: Generous: the machine may be loaded; no test asserts on how long anything took.
WAIT = 60.0


def distinct(lines: Sequence[str]) -> list[str]:
    """``lines`` without repeated envelopes: every message delivered is then a new one, so
    inbox records count messages committed exactly."""
    seen: set[str] = set()
    kept = []
    for line in lines:
        envelope_id = json.loads(line)["envelope_id"]
        if envelope_id not in seen:
            seen.add(envelope_id)
            kept.append(line)
    return kept


def published(url: str, partitions: int) -> list[list[tuple[str, str, bytes]]]:
    """What the output stream holds, per partition in stream order: ``(Nats-Msg-Id, subject,
    body)`` of every message."""

    async def read() -> list[list[tuple[str, str, bytes]]]:
        nc = await nats.connect(url)
        try:
            js = nc.jetstream()
            found = []
            for k in range(partitions):
                name = f"{OUTPUT_STREAM}-{k}"
                state = (await js.stream_info(name)).state
                messages = []
                if state.messages:
                    for seq in range(state.first_seq, state.last_seq + 1):
                        msg = await js.get_msg(name, seq)
                        headers = msg.headers or {}
                        messages.append(
                            (headers.get("Nats-Msg-Id", ""), msg.subject or "", msg.data or b"")
                        )
                found.append(messages)
            return found
        finally:
            await nc.close()

    return asyncio.run(read())


def scrape(serve: ServeProcess) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """The samples of a serve process's ``/metrics`` (it runs with ``--http``): value by name
    and sorted labels."""
    from prometheus_client.parser import text_string_to_metric_families

    marker = ", http on "
    line = next(line for line in serve.log.splitlines() if marker in line)
    address = line.split(marker, 1)[1].split()[0].rstrip(",")
    with urllib.request.urlopen(f"http://{address}/metrics", timeout=30) as response:
        text = response.read().decode("utf-8")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def wait_finished(store_url: str, bus_url: str, total: int, partitions: int, what: str) -> None:
    """Wait until the store holds ``total`` inbox records and the bus has nothing pending
    (polled gently: each look opens the store and a bus connection)."""

    def finished() -> bool:
        return outcome_total(store_url) == total and all_acknowledged(bus_url, partitions)

    wait_until(finished, WAIT, what, pause=0.25)


def misrouted(store_url: str) -> list[Any]:
    """The dead letters of the store at ``store_url`` with reason ``misrouted_partition``."""
    store = open_store(store_url)
    try:
        return [
            d
            for d in store.list_dead_letters()
            if d.reason == EnumDeadLetterReason.MISROUTED_PARTITION
        ]
    finally:
        store.close()


def stopped(pid: int) -> bool:
    """Whether process ``pid`` is stopped (SIGSTOP), as ``/proc`` says."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat.rsplit(")", 1)[1].split()[0] == "T"


def same_as_run(lines: Sequence[str], store_url: str, reference_url: str) -> None:
    """Run ``lines`` into the empty store ``reference_url`` as ``run`` does, and assert that
    the store at ``store_url`` holds the same registry, node events and dead letters."""
    run_file(lines, reference_url)
    served, ran = comparable(store_url), comparable(reference_url)
    assert served == ran
    assert served["nodes"]
    assert served["events"]


def serve_args(partitions: int, batch: int, ack_wait: float = 2.0) -> tuple[str, ...]:
    """``serve``'s options for a failure test: small batches, a short ack wait, no ticks of
    its own (the input carries its ticks, as the file ``run`` reads does)."""
    return (
        *("--partitions", str(partitions)),
        *("--batch-size", str(batch)),
        *("--ack-wait", str(ack_wait)),
        "--no-ticks",
    )


@pytest.fixture
def processes() -> Iterator[list[ServeProcess]]:
    """Serve processes a test starts (appended to this list); none outlives the test."""
    started: list[ServeProcess] = []
    yield started
    for serve in started:
        if serve.process is not None and serve.process.poll() is None:
            serve.process.send_signal(signal.SIGCONT)
        serve.stop_quietly()


def fired(serve: ServeProcess, point: str, nth: int) -> None:
    """Assert that ``serve`` logged reaching fault ``point`` for the ``nth`` time."""
    assert f"fault point {point} #{nth} reached" in serve.log, serve.log


def serve_pair(
    store_url: str,
    bus_url: str,
    folder: Path,
    processes: list[ServeProcess],
    fault: str,
    partitions: int,
) -> tuple[ServeProcess, ServeProcess]:
    """Two serve processes sharing the partitions, the first with ``fault`` armed; returns once
    each owns a share."""
    argv = serve_args(partitions, 8)
    first = ServeProcess(store_url, bus_url, *argv, folder=folder, env={FAULT: fault})
    second = ServeProcess(store_url, bus_url, *argv, folder=folder)
    processes.extend((first, second))
    first.start()
    second.start()
    first.wait_serving()
    second.wait_serving()
    everything = set(range(partitions))

    def shared() -> bool:
        a, b = first.owned(), second.owned()
        return bool(a) and bool(b) and not a & b and a | b == everything

    wait_until(shared, WAIT, "both processes to own a share of the partitions")
    return first, second


__all__ = [
    "FAULT",
    "WAIT",
    "distinct",
    "fired",
    "misrouted",
    "processes",
    "published",
    "same_as_run",
    "scrape",
    "serve_args",
    "serve_pair",
    "stopped",
    "wait_finished",
]
