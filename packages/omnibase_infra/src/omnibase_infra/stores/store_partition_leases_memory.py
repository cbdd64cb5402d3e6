"""In-process leases of the memory store: managers of one process compete for names."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field

from omnibase_infra.stores import lease_checks as checks
from omnibase_infra.stores.store_partition_leases_base import StorePartitionLeasesBase

_WHERE = "StorePartitionLeasesMemory"


@dataclass
class MemoryLeaseTable:
    """The lease state of one memory store: tokens (kept for the store's life), holders,
    members and relay cursors. Guarded by ``lock``; token bumps also hold the store's
    transaction lock, so they wait for a batch in flight like a database row lock would."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    tokens: dict[str, int] = field(default_factory=dict)
    holders: dict[str, int] = field(default_factory=dict)
    members: set[int] = field(default_factory=set)
    cursors: dict[str, int] = field(default_factory=dict)
    ids: itertools.count[int] = field(default_factory=itertools.count)


class StorePartitionLeasesMemory(StorePartitionLeasesBase):
    """One manager's leases on a memory store (see ``ProtocolPartitionLeases``).

    Several managers may share a store (threads standing in for processes); a lease is never
    lost behind a manager's back, so :meth:`verify` reports nothing lost.
    """

    _where = _WHERE

    def __init__(
        self,
        table: MemoryLeaseTable,
        owner: str,
        exclusive: Callable[[], AbstractContextManager[None]],
    ) -> None:
        """Join ``table`` as a member; ``exclusive`` enters the store's transaction lock."""
        super().__init__(checks.check_name(f"{_WHERE}.open", owner, "owner"))
        self._table = table
        self._exclusive = exclusive
        with table.lock:
            self._id = next(table.ids)
            table.members.add(self._id)

    def members(self) -> int:
        """Open managers on this store, this one included."""
        self._check_open("members")
        with self._table.lock:
            return len(self._table.members)

    def try_acquire(self, name: str) -> int | None:
        """Take ``name`` (a new, larger token) unless another manager holds it (``None``)."""
        checks.check_name(f"{_WHERE}.try_acquire", name)
        self._check_open("try_acquire")
        if name in self._held:
            return self._held[name]
        with self._exclusive(), self._table.lock:
            if self._table.holders.get(name, self._id) != self._id:
                return None
            token = self._table.tokens.get(name, 0) + 1
            self._table.tokens[name] = token
            self._table.holders[name] = self._id
        self._held[name] = token
        return token

    def release(self, name: str) -> None:
        """Give ``name`` up; nothing when not held."""
        checks.check_name(f"{_WHERE}.release", name)
        if self._held.pop(name, None) is not None:
            with self._table.lock:
                if self._table.holders.get(name) == self._id:
                    del self._table.holders[name]

    def held(self) -> Mapping[str, int]:
        """The leases held, with their tokens (a copy)."""
        return dict(self._held)

    def verify(self) -> frozenset[str]:
        """Names lost since the last call: none can be, in one process."""
        self._check_open("verify")
        return frozenset()

    def close(self) -> None:
        """Release everything and leave the members. Idempotent."""
        if self._closed:
            return
        for name in list(self._held):
            self.release(name)
        with self._table.lock:
            self._table.members.discard(self._id)
        self._closed = True
