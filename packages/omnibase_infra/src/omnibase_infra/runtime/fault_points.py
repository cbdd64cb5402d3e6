"""Test-only fault points: a process signals itself at a named step of the batch loop.

The failure tests of the live service must kill a ``serve`` process exactly between two steps,
for example after a batch committed and before it is acknowledged. That window lasts one
round trip to the bus; a signal sent from outside, timed by watching the process, lands in it
only by luck, and a test that kills "somewhere" proves nothing about that window. So the
steps that matter call :func:`fault_point` with their name, and a test process started with

    ONEX_TEST_ONLY_FAULT_SIGNAL=<point>:<n>:<SIGNAL>     (e.g. bus-batch-committed:3:SIGKILL)

sends itself ``SIGNAL`` the ``n``-th time it reaches ``point`` (counted over the whole
process): ``SIGKILL`` is a crash exactly there, ``SIGSTOP`` freezes the process there (a
zombie owner, resumed later with ``SIGCONT``), ``SIGTERM`` asks for a clean stop while that
batch is in flight.

Off unless that one variable is set when this module is first imported; its name says what it
is for, and a value that is not exactly of that form stops the process at import with one
message (a typo must not silently disarm a test). Unset, a fault point is one comparison.
A process with a fault point armed logs a warning when it is armed and when it fires.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from typing import Final

from omnibase_core.enums import EnumCoreErrorCode
from omnibase_core.models.errors import ModelOnexError

ENV_VAR: Final = "ONEX_TEST_ONLY_FAULT_SIGNAL"
"""The environment variable that arms a fault point (tests only)."""

POINTS: Final = frozenset(
    {
        "bus-batch-fetched",  # a bus batch was fetched; nothing of it is committed yet
        "bus-batch-lease-checked",  # inside the batch's transaction, its lease checked (held)
        "bus-batch-committed",  # a bus batch committed; it is not acknowledged yet
        "relay-published",  # the relay's batch is stored on the bus; the cursor did not move
    }
)
"""The fault points the service has."""

_SIGNALS: Final = ("SIGKILL", "SIGSTOP", "SIGTERM")
_log = logging.getLogger(__name__)


def _armed(value: str | None) -> tuple[str, int, signal.Signals] | None:
    if value is None or value == "":
        return None
    point, _, rest = value.partition(":")
    count, _, name = rest.partition(":")
    if point not in POINTS or not count.isdigit() or int(count) < 1 or name not in _SIGNALS:
        raise ModelOnexError(
            f"{ENV_VAR}={value!r} is not '<point>:<n>:<signal>' with a point in "
            f"{', '.join(sorted(POINTS))}, n a whole number from 1 and a signal in "
            f"{', '.join(_SIGNALS)}; unset it outside of failure tests",
            EnumCoreErrorCode.CONFIGURATION_ERROR,
            {"variable": ENV_VAR, "value": value},
        )
    return point, int(count), signal.Signals[name]


_ARMED: Final = _armed(os.environ.get(ENV_VAR))
_reached = 0
_lock = threading.Lock()  # points are reached on the event loop and on worker threads
if _ARMED is not None:
    _log.warning(
        "%s is set: this process sends itself %s at fault point %s #%d (failure tests only)",
        ENV_VAR,
        _ARMED[2].name,
        _ARMED[0],
        _ARMED[1],
    )


def fault_point(name: str) -> None:
    """Mark the step ``name`` (one of :data:`POINTS`): sends the armed signal to this process
    when the armed point is reached for the armed time, else does nothing. Never raises."""
    global _reached
    if _ARMED is None or name != _ARMED[0]:
        return
    with _lock:
        _reached += 1
        fire = _reached == _ARMED[1]
    if fire:
        _log.warning(
            "fault point %s #%d reached: sending %s to myself", name, _ARMED[1], _ARMED[2].name
        )
        os.kill(os.getpid(), _ARMED[2])


__all__ = ["ENV_VAR", "POINTS", "fault_point"]
