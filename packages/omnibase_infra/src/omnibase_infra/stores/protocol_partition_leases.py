"""One process's leases on a store: which partitions (and the relay) it owns, with fencing."""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import Protocol, Self


class ProtocolPartitionLeases(Protocol):
    """The leases one serve process holds on one store, opened by ``store.open_leases(owner)``.

    A lease has a name (``"onex-registration/3"`` for partition 3 of a stream, ``"relay"``) and,
    while held, a fencing token: an integer strictly greater than every token handed out for
    that name before, kept in the store. A batch transaction calls ``check_lease(name, token)``
    first, so a process that lost a lease without noticing (a zombie) cannot commit under it
    once another process has taken it over.

    The process counts as a member (a live lease holder) from open until :meth:`close`; a
    process that dies stops being one, and its leases become free, without anyone's help.
    """

    @property
    def owner(self) -> str:
        """The human-readable id of this process (``host:pid:random``), recorded with leases."""
        ...

    def members(self) -> int:
        """How many lease holders (serve processes) share this store now, this one included;
        the caller's fair share of ``P`` partitions is ``ceil(P / members())``. Raises
        ``ModelStoreUnavailableError`` when the store cannot be reached."""
        ...

    def try_acquire(self, name: str) -> int | None:
        """Take lease ``name``: its new fencing token, or ``None`` when another live process
        holds it. A lease this process holds returns its current token unchanged. Raises
        ``ModelOnexError(VALIDATION_ERROR)`` for a name that is not a non-empty string,
        ``INVALID_STATE`` once closed, ``ModelStoreUnavailableError`` when the store cannot be
        reached (then every lease held is reported lost by the next :meth:`verify`)."""
        ...

    def release(self, name: str) -> None:
        """Give lease ``name`` up (its token stays in the store); nothing when not held."""
        ...

    def held(self) -> Mapping[str, int]:
        """The leases this process holds, with their tokens (a copy)."""
        ...

    def verify(self) -> frozenset[str]:
        """Check that the lease session is alive (one round trip) and return the names this
        process has lost since the last call, forgetting them: every name when the session
        died. Never raises for a lost session: that is what it reports."""
        ...

    def close(self) -> None:
        """Release every lease and stop being a member. Idempotent."""
        ...

    def __enter__(self) -> Self:
        """The leases themselves; :meth:`close` runs when the block ends."""
        ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close the leases."""
        ...
