"""Probes for the failure tests of ``serve``: what the NATS consumers and the PostgreSQL store
say from the outside, and a lock that stalls serve's batch transactions inside PostgreSQL.

- :func:`consumers`, :func:`acknowledged`, :func:`all_acknowledged`: the input stream's
  durable consumers (ack floors, pending and redelivered counts);
- :func:`inbox_locked`: hold a lock on a store's inbox, so every batch transaction waits at its
  first write (as it would behind any slow statement) until the block ends;
- :func:`waiting_on_locks`: sessions of a server waiting on a lock (serve's stalled batches);
- :func:`migrated`, :func:`lease_tokens`: a store's schema created up front; its lease tokens.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any

import nats
import psycopg

from omnibase_infra.nodes.node_registration_orchestrator.registration_bus import INPUT_STREAM
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


def waiting_on_locks(admin_url: str) -> int:
    """Sessions of the server at ``admin_url`` waiting on a heavyweight lock."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
        ).fetchone()
    return int(row[0]) if row else 0


@contextlib.contextmanager
def inbox_locked(store_url: str) -> Iterator[None]:
    """Hold a lock on the store's inbox that lets readers through and stalls every batch
    transaction at its first write, until the block ends (or the server cuts the session)."""
    with contextlib.suppress(psycopg.OperationalError), psycopg.connect(store_url) as conn:
        conn.execute("LOCK TABLE inbox IN EXCLUSIVE MODE")
        yield
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
