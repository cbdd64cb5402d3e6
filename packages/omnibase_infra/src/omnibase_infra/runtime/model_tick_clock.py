"""When a bus partition ticks next, and with which time: the grid and the backlog rule."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final
from uuid import UUID

_TICK_NAMESPACE: Final = uuid.uuid5(uuid.NAMESPACE_URL, "onex:bus-runner:tick")


@dataclass(slots=True)
class ModelTickClock:
    """The tick schedule of one owned partition.

    Ticks fall on a grid of ``interval_seconds`` (``n * interval`` since the Unix epoch), so
    every owner of a partition, past or future, ticks at the same instants; a tick's envelope id
    is a function of the stream, the partition, the partition count and the grid instant
    (:meth:`envelope_id`), so a tick applied by one owner is a duplicate for the next.

    Which instant: a partition still working through a backlog has only the time of the
    messages it applied (:meth:`observe` each committed message's timestamp); it ticks at the
    last grid instant not after that time, never at the wall clock, so a backlog cannot expire
    what its own unapplied messages keep alive. A caught-up partition (its last fetch came back
    empty) ticks at the last grid instant not after the wall clock.
    """

    interval_seconds: float
    last_tick_ns: int | None = None
    message_time_ns: int | None = None

    def observe(self, at: datetime) -> None:
        """Record that a message stamped ``at`` was applied (committed)."""
        ns = _ns(at)
        if self.message_time_ns is None or ns > self.message_time_ns:
            self.message_time_ns = ns

    def due(self, caught_up: bool, wall_clock: datetime | None = None) -> int | None:
        """The grid sequence number of the tick due now, or ``None`` when none is.

        ``caught_up``: the partition's last fetch came back empty (wall-clock time applies);
        else the time of the newest applied message does (``None`` until one was applied).
        """
        now = _ns(wall_clock or datetime.now(UTC))
        # Message time never runs ahead of the wall clock: one envelope stamped in the future
        # must not expire every node nor make every later tick stale.
        basis = now if caught_up else self.message_time_ns
        if basis is None:
            return None
        basis = min(basis, now)
        interval_ns = round(self.interval_seconds * 1e9)
        sequence = basis // interval_ns
        if self.last_tick_ns is not None and sequence * interval_ns <= self.last_tick_ns:
            return None
        return sequence

    def instant(self, sequence: int) -> datetime:
        """The grid instant of tick ``sequence`` (UTC)."""
        interval_ns = round(self.interval_seconds * 1e9)
        seconds, ns = divmod(sequence * interval_ns, 1_000_000_000)
        return datetime.fromtimestamp(seconds, UTC).replace(microsecond=ns // 1000)

    def ticked(self, sequence: int) -> None:
        """Record that tick ``sequence`` committed."""
        self.last_tick_ns = sequence * round(self.interval_seconds * 1e9)

    def envelope_id(self, stream: str, partition: int, partitions: int, sequence: int) -> UUID:
        """The deterministic envelope id of tick ``sequence`` of partition ``partition`` of
        ``partitions`` of bus stream ``stream``: the same for every owner, ever."""
        at_ns = sequence * round(self.interval_seconds * 1e9)
        return uuid.uuid5(_TICK_NAMESPACE, f"{stream}\x00{partition}/{partitions}\x00{at_ns}")


def _ns(at: datetime) -> int:
    delta = at.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000


__all__ = ["ModelTickClock"]
