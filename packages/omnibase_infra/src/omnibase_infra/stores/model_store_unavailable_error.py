"""The error a store raises when its database cannot be used right now."""

from __future__ import annotations

from omnibase_core.models.errors import ModelUnavailableError


class ModelStoreUnavailableError(ModelUnavailableError):
    """The database is unreachable, the connection was lost, or the server aborted the open
    transaction (deadlock, serialization failure, shutdown).

    Whatever the transaction had done is rolled back, so redoing the whole batch is safe: the
    inbox inside the same transaction makes every envelope apply exactly once. ``retryable`` says
    whether redoing it may succeed (a lost connection, a deadlock) or whether an operator has to
    act first (wrong password, unknown database). The error code is ``CONFIGURATION_ERROR``:
    when retries run out, what is left to check is the server and the store URL.
    """
