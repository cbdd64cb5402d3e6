"""The error a store raises when it cannot hold a value of one message."""

from __future__ import annotations

from omnibase_core.models.errors import ModelOnexError


class ModelStoreDataError(ModelOnexError):
    """A store refused a value of the message being written (beyond the wire limits, or
    refused by the database itself: an out-of-range number, a NUL character, an unencodable
    string, an instant the database cannot hold).

    The failure belongs to that message, not to the database: the runtime rolls back to the
    savepoint taken before the message, dead-letters it ``store_rejected`` and goes on with the
    batch. The error code is ``VALIDATION_ERROR``; redoing the same write fails the same way,
    so it is never retried as is.
    """
