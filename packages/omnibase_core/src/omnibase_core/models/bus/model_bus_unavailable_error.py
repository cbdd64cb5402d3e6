"""The error a bus raises when its broker cannot be reached right now."""

from __future__ import annotations

from omnibase_core.models.errors.model_unavailable_error import ModelUnavailableError


class ModelBusUnavailableError(ModelUnavailableError):
    """The broker is unreachable or did not answer in time (a lost connection, a restarting
    server, a timed-out publish or acknowledgement).

    Every bus operation is safe to redo: a publish carries its idempotency id, and a message
    whose acknowledgement was lost is delivered again. ``retryable`` says whether redoing it
    may succeed or an operator has to act first (wrong address, refused credentials). The code
    is ``CONFIGURATION_ERROR``: when retries run out, what is left to check is the broker and
    its URL.
    """
