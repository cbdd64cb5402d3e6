"""Probes for the failure tests of ``serve``: what the NATS consumers and the PostgreSQL store
say from the outside, and a lock that stalls serve's batch transactions inside PostgreSQL.

- :func:`consumers`, :func:`acknowledged`, :func:`all_acknowledged`: the input stream's
  durable consumers (ack floors, pending and redelivered counts);
- :func:`inbox_locked`, :func:`node_row_locked`: hold a lock on a store's inbox (or one node's
  row), so every batch transaction (or the one with that node's message) waits inside
  PostgreSQL, as it would behind any slow statement, until the block ends;
- :func:`blocked_by`: the sessions waiting on such a lock (serve's stalled batches);
- :func:`migrated`, :func:`lease_tokens`: a store's schema created up front; its lease tokens;
- :func:`published_event_ids`, :func:`stored_event_ids`: the relay's output on the bus, read
  without consuming it, and the store's outbox;
- :func:`http_get`, :func:`metric_sum`, :func:`free_port`: serve's ``--http`` endpoints.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from typing import Any

import nats
import psycopg

from omnibase_infra.bus.nats_subjects import partition_stream_name
from omnibase_infra.nodes.node_registration_orchestrator.registration_bus import (
    INPUT_STREAM,
    OUTPUT_STREAM,
)
from omnibase_infra.stores.store_factory import open_store


def consumers(url: str, partitions: int) -> list[Any]:
    """The JetStream consumer info of every partition of the input stream."""

    async def look() -> list[Any]:
        nc = await nats.connect(url)
        try:
            js = nc.jetstream()
            return [
                await js.consumer_info(f"{INPUT_STREAM}-{k}", "onex") for k in range(partitions)
            ]
        finally:
            await nc.close()

    return asyncio.run(look())


def acknowledged(url: str, partitions: int) -> int:
    """Input messages acknowledged so far, over every partition (the consumers' ack floors)."""
    return sum(info.ack_floor.stream_seq for info in consumers(url, partitions))


def all_acknowledged(url: str, partitions: int) -> bool:
    """Every input message of every partition delivered and acknowledged."""
    return all(i.num_ack_pending == i.num_pending == 0 for i in consumers(url, partitions))


def blocked_by(store_url: str, holder: int) -> int:
    """Sessions of the server of ``store_url`` waiting on a lock that session ``holder`` (a
    backend pid) holds: serve's batches stalled by a test, and nothing else on the server."""
    with psycopg.connect(store_url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))",
            (holder,),
        ).fetchone()
    return int(row[0]) if row else 0


@contextlib.contextmanager
def inbox_locked(store_url: str) -> Iterator[int]:
    """Hold a lock on the store's inbox that lets readers through and stalls every batch
    transaction at its first write, until the block ends (or the server cuts the session).
    Yields the holding session's backend pid (for :func:`blocked_by`)."""
    with contextlib.suppress(psycopg.OperationalError), psycopg.connect(store_url) as conn:
        conn.execute("LOCK TABLE inbox IN EXCLUSIVE MODE")
        yield conn.info.backend_pid
        conn.rollback()


@contextlib.contextmanager
def node_row_locked(store_url: str, node: uuid.UUID) -> Iterator[int]:
    """Hold ``node``'s registry row: a batch with a message of that node waits inside its
    transaction until the block ends. Yields the holding session's backend pid."""
    with psycopg.connect(store_url) as conn:
        conn.execute("SELECT 1 FROM nodes WHERE node_id = %s FOR UPDATE", (node,))
        yield conn.info.backend_pid
        conn.rollback()


def migrated(store_url: str) -> str:
    """Create the store's schema (so its tables can be locked before serve starts)."""
    open_store(store_url).close()
    return store_url


def lease_tokens(store_url: str) -> dict[str, int]:
    """The fencing token of every lease in the store."""
    with psycopg.connect(store_url, autocommit=True) as conn:
        rows = conn.execute("SELECT name, token FROM leases").fetchall()
    return {str(name): int(token) for name, token in rows}


def published_event_ids(url: str, partitions: int) -> list[str]:
    """The idempotency id (``Nats-Msg-Id``: the event id) of every message stored in the
    output stream, all partitions, read by sequence (no consumer is moved)."""

    async def look() -> list[str]:
        nc = await nats.connect(url)
        try:
            js = nc.jetstream()
            ids: list[str] = []
            for k in range(partitions):
                name = partition_stream_name(OUTPUT_STREAM, k)
                state = (await js.stream_info(name)).state
                if not state.messages:
                    continue
                for sequence in range(state.first_seq, state.last_seq + 1):
                    message = await js.get_msg(name, sequence)
                    ids.append((message.headers or {}).get("Nats-Msg-Id", ""))
            return ids
        finally:
            await nc.close()

    return asyncio.run(look())


def stored_event_ids(store_url: str) -> list[str]:
    """The id of every event in the store's outbox, in commit order."""
    store = open_store(store_url)
    try:
        return [str(event.event_id) for event in store.iter_events()]
    finally:
        store.close()


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http_get(port: int, path: str) -> tuple[int, str]:
    """``GET path`` on serve's ``--http`` port: the status and the body (errors included)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as answer:
            return int(answer.status), answer.read().decode()
    except urllib.error.HTTPError as refused:
        return int(refused.code), refused.read().decode()


def metric_sum(exposition: str, name: str) -> float:
    """The sum of every sample of metric ``name`` (all labels) in a Prometheus text page."""
    total = 0.0
    for line in exposition.splitlines():
        if line.startswith(name) and line[len(name) : len(name) + 1] in {" ", "{"}:
            total += float(line.rsplit(" ", 1)[1])
    return total
