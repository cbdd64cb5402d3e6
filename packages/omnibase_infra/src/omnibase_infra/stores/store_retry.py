"""Redo a unit of store work when the database is briefly unavailable.

A batch runs inside one store transaction; when the connection is lost or the server aborts the
transaction, the whole batch was rolled back, and running it again from the start is exactly
what keeps "nothing lost, nothing doubled": the inbox sits in the same transaction. These helpers
redo the work with exponential backoff (with jitter, so two processes that deadlocked do not
collide again in step) until it succeeds or ``max_seconds`` have passed.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from omnibase_infra.stores.model_store_unavailable_error import ModelStoreUnavailableError

T = TypeVar("T")

OnRetry = Callable[[ModelStoreUnavailableError, int, float], None]
"""Called before each wait with the error, the attempt number (1 = first retry) and the delay."""

DEFAULT_MAX_SECONDS = 60.0


def _next_delay(delay: float, max_delay: float) -> float:
    return min(max_delay, delay * 2)


def _exhausted(error: ModelStoreUnavailableError, attempts: int, elapsed: float) -> Exception:
    return ModelStoreUnavailableError(
        f"{error.message} (gave up after {attempts} attempts over {elapsed:.1f} s of retrying)",
        error.error_code,
        {k: v for k, v in error.context.items() if k != "retryable"},
        retryable=False,
    )


def run_with_store_retry(
    work: Callable[[], T],
    *,
    max_seconds: float = DEFAULT_MAX_SECONDS,
    initial_delay: float = 0.05,
    max_delay: float = 2.0,
    on_retry: OnRetry | None = None,
) -> T:
    """Run ``work()``; while it raises a retryable :class:`ModelStoreUnavailableError`, wait and
    run it again, for at most ``max_seconds``.

    ``work`` must be the whole unit (open the transaction, do everything, commit). Raises the
    last ``ModelStoreUnavailableError`` (now ``retryable=False``, saying how long it tried) when
    time runs out; a non-retryable one and any other exception propagate at once.
    """
    started = time.monotonic()
    delay, attempt = initial_delay, 0
    while True:
        try:
            return work()
        except ModelStoreUnavailableError as error:
            elapsed = time.monotonic() - started
            if not error.retryable:
                raise
            if elapsed >= max_seconds:
                raise _exhausted(error, attempt + 1, elapsed) from error
            attempt += 1
            wait = min(delay * random.uniform(0.5, 1.0), max(0.0, max_seconds - elapsed))
            if on_retry is not None:
                on_retry(error, attempt, wait)
            time.sleep(wait)
            delay = _next_delay(delay, max_delay)


async def arun_with_store_retry(
    work: Callable[[], Awaitable[T]],
    *,
    max_seconds: float = DEFAULT_MAX_SECONDS,
    initial_delay: float = 0.05,
    max_delay: float = 2.0,
    on_retry: OnRetry | None = None,
) -> T:
    """The ``async`` form of :func:`run_with_store_retry` (``work`` returns an awaitable)."""
    started = time.monotonic()
    delay, attempt = initial_delay, 0
    while True:
        try:
            return await work()
        except ModelStoreUnavailableError as error:
            elapsed = time.monotonic() - started
            if not error.retryable:
                raise
            if elapsed >= max_seconds:
                raise _exhausted(error, attempt + 1, elapsed) from error
            attempt += 1
            wait = min(delay * random.uniform(0.5, 1.0), max(0.0, max_seconds - elapsed))
            if on_retry is not None:
                on_retry(error, attempt, wait)
            await asyncio.sleep(wait)
            delay = _next_delay(delay, max_delay)
