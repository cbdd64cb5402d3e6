"""The error a batch transaction raises when the lease it was started under has moved on."""

from __future__ import annotations

from omnibase_core.enums import EnumCoreErrorCode
from omnibase_core.models.errors import ModelOnexError


class ModelLeaseLostError(ModelOnexError):
    """The fencing token of a lease is no longer the one this process holds: another process
    has taken the lease over (this one lost its lease session, or was paused past it).

    Raised by ``check_lease`` inside a batch transaction (and by the relay's fenced cursor
    move) before anything is written, so the batch is rolled back and must not be
    acknowledged: the new owner applies those messages. The error code is ``INVALID_STATE``;
    redoing the batch under the same token fails the same way, so it is never retried.
    """

    def __init__(self, where: str, name: str, token: int, current: int | None) -> None:
        """Build the error for lease ``name`` held with ``token`` while the store has
        ``current`` (``None``: the store has no such lease)."""
        now = "no such lease" if current is None else f"token {current}"
        super().__init__(
            f"{where}: lease {name!r} was lost: this process holds token {token} but the store "
            f"has {now} (another process took it over); the batch is rolled back and not "
            "acknowledged, its messages are left to the lease's new owner",
            EnumCoreErrorCode.INVALID_STATE,
            {"lease": name, "token": token, "current_token": current},
        )
        self.lease = name
        self.token = token
        self.current_token = current
