"""What every store's lease manager shares: its owner, the leases it holds, closing."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from omnibase_infra.stores import lease_checks as checks


class StorePartitionLeasesBase:
    """The bookkeeping common to the lease managers of every store (see
    ``ProtocolPartitionLeases``): the owner's name, the held leases with their tokens, the
    closed flag, the context manager, and the error for using a closed manager.

    Subclasses set ``_where`` (their name in error messages) and define ``close``.
    """

    _where = "StorePartitionLeases"

    def __init__(self, owner: str) -> None:
        self._owner = owner
        self._held: dict[str, int] = {}
        self._closed = False

    @property
    def owner(self) -> str:
        """This process's id as given to ``open_leases``."""
        return self._owner

    def close(self) -> None:
        """Release every lease; the manager is unusable afterwards. Idempotent."""
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _check_open(self, method: str) -> None:
        """Raise ``ModelOnexError(INVALID_STATE)`` naming ``method`` once closed."""
        if self._closed:
            raise checks.closed_error(f"{self._where}.{method}", self._owner)
