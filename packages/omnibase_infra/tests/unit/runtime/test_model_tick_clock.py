"""ModelTickClock: ticks on a grid, message time while a backlog is applied, wall-clock time once
caught up, never ahead of the wall clock, deterministic ids."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from omnibase_infra.runtime.model_tick_clock import ModelTickClock

NOW = datetime(2026, 3, 1, 12, 0, 7, 250_000, tzinfo=UTC)


def test_a_caught_up_partition_ticks_at_the_last_grid_instant_of_the_wall_clock() -> None:
    clock = ModelTickClock(5.0)
    sequence = clock.due(caught_up=True, wall_clock=NOW)
    assert sequence is not None
    assert clock.instant(sequence) == datetime(2026, 3, 1, 12, 0, 5, tzinfo=UTC)
    clock.ticked(sequence)
    assert clock.due(caught_up=True, wall_clock=NOW + timedelta(seconds=2)) is None
    assert clock.due(caught_up=True, wall_clock=NOW + timedelta(seconds=3)) == sequence + 1


def test_a_backlog_ticks_with_the_newest_applied_message_time() -> None:
    clock = ModelTickClock(60.0)
    assert clock.due(caught_up=False, wall_clock=NOW) is None  # nothing applied yet
    clock.observe(datetime(2026, 1, 1, 0, 3, 30, tzinfo=UTC))
    clock.observe(datetime(2026, 1, 1, 0, 1, 0, tzinfo=UTC))  # older: the newest counts
    sequence = clock.due(caught_up=False, wall_clock=NOW)
    assert sequence is not None
    assert clock.instant(sequence) == datetime(2026, 1, 1, 0, 3, tzinfo=UTC)
    clock.ticked(sequence)
    assert clock.due(caught_up=False, wall_clock=NOW) is None


def test_message_time_never_runs_ahead_of_the_wall_clock() -> None:
    clock = ModelTickClock(60.0)
    clock.observe(datetime(2099, 1, 1, tzinfo=UTC))
    sequence = clock.due(caught_up=False, wall_clock=NOW)
    assert sequence is not None
    assert clock.instant(sequence) == datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_tick_ids_depend_on_stream_partition_count_and_instant_only() -> None:
    one, other = ModelTickClock(5.0), ModelTickClock(5.0)
    assert one.envelope_id("s", 1, 4, 100) == other.envelope_id("s", 1, 4, 100)
    assert ModelTickClock(10.0).envelope_id("s", 1, 4, 50) == one.envelope_id("s", 1, 4, 100)
    ids = {
        one.envelope_id("s", 1, 4, 100),
        one.envelope_id("s", 2, 4, 100),
        one.envelope_id("s", 1, 8, 100),
        one.envelope_id("t", 1, 4, 100),
        one.envelope_id("s", 1, 4, 101),
    }
    assert len(ids) == 5
