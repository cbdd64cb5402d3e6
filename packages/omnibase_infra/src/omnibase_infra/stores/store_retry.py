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


class _Backoff:
    """The retry policy of one unit of work: when to give up and how long to wait."""

    __slots__ = ("_attempt", "_delay", "_max_delay", "_max_seconds", "_on_retry", "_started")

    def __init__(
        self, max_seconds: float, initial_delay: float, max_delay: float, on_retry: OnRetry | None
    ) -> None:
        self._max_seconds = max_seconds
        self._max_delay = max_delay
        self._on_retry = on_retry
        self._delay = initial_delay
        self._attempt = 0
        self._started = time.monotonic()

    def next_wait(self, error: ModelStoreUnavailableError) -> float:
        """Seconds to wait before running the work again after ``error``.

        Raises ``error`` itself when it is not retryable, and a non-retryable copy saying how
        long it tried once ``max_seconds`` have passed.
        """
        elapsed = time.monotonic() - self._started
        if not error.retryable:
            raise error
        if elapsed >= self._max_seconds:
            raise ModelStoreUnavailableError(
                f"{error.message} (gave up after {self._attempt + 1} attempts over "
                f"{elapsed:.1f} s of retrying)",
                error.error_code,
                {k: v for k, v in error.context.items() if k != "retryable"},
                retryable=False,
            ) from error
        self._attempt += 1
        wait = min(self._delay * random.uniform(0.5, 1.0), max(0.0, self._max_seconds - elapsed))
        if self._on_retry is not None:
            self._on_retry(error, self._attempt, wait)
        self._delay = min(self._max_delay, self._delay * 2)
        return wait


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
    backoff = _Backoff(max_seconds, initial_delay, max_delay, on_retry)
    while True:
        try:
            return work()
        except ModelStoreUnavailableError as error:
            time.sleep(backoff.next_wait(error))


async def arun_with_store_retry(
    work: Callable[[], Awaitable[T]],
    *,
    max_seconds: float = DEFAULT_MAX_SECONDS,
    initial_delay: float = 0.05,
    max_delay: float = 2.0,
    on_retry: OnRetry | None = None,
) -> T:
    """The ``async`` form of :func:`run_with_store_retry` (``work`` returns an awaitable)."""
    backoff = _Backoff(max_seconds, initial_delay, max_delay, on_retry)
    while True:
        try:
            return await work()
        except ModelStoreUnavailableError as error:
            await asyncio.sleep(backoff.next_wait(error))
