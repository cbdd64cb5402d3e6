"""Leases of a SQLite store: one serve process owns every partition of the file.

A SQLite database has one writer at a time, so scaling out needs PostgreSQL. What this keeps
is the one-owner rule and fencing: :func:`lock_serve_file` takes an exclusive, non-blocking
``flock`` on ``<database>.serve-lock`` when the leases are opened (a second process is refused
at once, naming the holder written in the file), and tokens live in the ``leases`` table so
``check_lease`` works as on every store. The lock dies with the process.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Mapping

from omnibase_core.enums import EnumCoreErrorCode
from omnibase_core.models.errors import ModelOnexError
from omnibase_infra.stores import lease_checks as checks
from omnibase_infra.stores.store_partition_leases_base import StorePartitionLeasesBase

_WHERE = "StorePartitionLeasesSqlite"


def lock_serve_file(database: str, owner: str) -> int:
    """Lock ``<database>.serve-lock`` for ``owner`` and return its file descriptor.

    Raises ``ModelOnexError(CONFIGURATION_ERROR)`` naming the file and its holder when another
    process (or another open lease manager) holds it, or when it cannot be created.
    """
    path = f"{database}.serve-lock"
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise ModelOnexError(
            f"{_WHERE}.open: cannot create the lock file {path!r} ({exc.strerror}); the folder "
            "of the SQLite database must be writable",
            EnumCoreErrorCode.CONFIGURATION_ERROR,
            {"lock_file": path},
        ) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 500, 0).decode("utf-8", "replace").strip() or "unknown holder"
        os.close(fd)
        raise ModelOnexError(
            f"{_WHERE}.open: the SQLite store {database!r} is already served by {holder} (lock "
            f"file {path!r}); SQLite allows one serve process per database: stop that one, or "
            "use a PostgreSQL store to run several",
            EnumCoreErrorCode.CONFIGURATION_ERROR,
            {"lock_file": path, "holder": holder},
        ) from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{owner} (pid {os.getpid()})\n".encode(), 0)
    return fd


class StorePartitionLeasesSqlite(StorePartitionLeasesBase):
    """The only lease manager of a SQLite store (see ``ProtocolPartitionLeases``): every
    lease is free to it, each take bumps the token in the store's ``leases`` table."""

    _where = _WHERE

    def __init__(self, owner: str, bump: Callable[[str, str], int], release: Callable[[], None]):
        """``bump(name, owner)`` stores and returns the next token of ``name``; ``release``
        drops the serve lock (called once, by :meth:`close`)."""
        super().__init__(owner)
        self._bump = bump
        self._release_lock = release

    def members(self) -> int:
        """Always ``1``: SQLite has one serve process."""
        self._check_open("members")
        return 1

    def try_acquire(self, name: str) -> int | None:
        """Take ``name`` with the next token (never ``None``: no one else can hold it)."""
        checks.check_name(f"{_WHERE}.try_acquire", name)
        self._check_open("try_acquire")
        if name not in self._held:
            self._held[name] = self._bump(name, self._owner)
        return self._held[name]

    def release(self, name: str) -> None:
        """Give ``name`` up; nothing when not held."""
        checks.check_name(f"{_WHERE}.release", name)
        self._held.pop(name, None)

    def held(self) -> Mapping[str, int]:
        """The leases held, with their tokens (a copy)."""
        return dict(self._held)

    def verify(self) -> frozenset[str]:
        """Nothing is lost while the serve lock is held (it is held until :meth:`close`)."""
        self._check_open("verify")
        return frozenset()

    def close(self) -> None:
        """Release everything and the serve lock. Idempotent."""
        if not self._closed:
            self._closed = True
            self._held.clear()
            self._release_lock()
