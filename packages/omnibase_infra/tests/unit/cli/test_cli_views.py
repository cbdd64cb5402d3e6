"""Table rendering and the run summary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from omnibase_infra.cli.cli_run import format_summary
from omnibase_infra.cli.cli_table import format_timestamp, render_table
from omnibase_infra.models import ModelPartition
from omnibase_infra.runtime.model_run_summary import ModelRunSummary


def test_render_table_aligns_columns_and_right_aligns_numbers() -> None:
    text = render_table(
        ("NAME", "COUNT"), [("a", 5), ("longer", 120), ("none", None)], right_aligned=frozenset({1})
    )

    assert text.splitlines() == [
        "NAME    COUNT",
        "a           5",
        "longer    120",
        "none        -",
    ]


def test_timestamps_print_in_utc_to_the_second() -> None:
    paris = timezone(timedelta(hours=1))
    assert format_timestamp(datetime(2026, 3, 1, 13, 0, 5, 999, tzinfo=paris)) == (
        "2026-03-01T12:00:05Z"
    )
    assert format_timestamp(None) == "-"
    assert render_table(("AT",), [(datetime(2026, 1, 2, tzinfo=UTC),)]).splitlines()[1] == (
        "2026-01-02T00:00:00Z"
    )


def test_summary_lists_every_outcome_with_reasons() -> None:
    summary = ModelRunSummary(
        total=10,
        applied=5,
        ignored=2,
        duplicates=1,
        dead_lettered=2,
        ignored_by_reason={"stale_epoch": 2},
        dead_lettered_by_reason={"unparseable": 1, "clock_skew": 1},
        events_emitted=4,
        batches=1,
    )

    text = format_summary(
        summary,
        source="in.jsonl",
        store_url="memory://",
        partition=ModelPartition.parse("1/4"),
        lines=11,
        nodes="active 3, liveness_expired 0, deregistered 1",
        out_name="-",
    )

    assert "partition 1/4" in text
    assert "lines             11   (1 blank)" in text
    assert "ignored            2   (stale_epoch 2)" in text
    assert "dead-lettered      2   (clock_skew 1, unparseable 1)" in text
    assert "duplicates         1" in text
    assert "emitted 4 events -> standard output" in text


def test_progress_is_drawn_on_a_terminal_for_long_inputs(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import io

    from omnibase_infra.cli import cli_run
    from omnibase_infra.simulation import ServiceClusterSimulator, ServiceWireStreamWriter
    from omnibase_infra.stores.store_factory import open_store

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    history = ServiceClusterSimulator(seed=1, nodes=10, minutes=5).simulate()
    path = tmp_path / "in.jsonl"
    ServiceWireStreamWriter().write(history.envelopes, path)
    monkeypatch.setattr(cli_run, "PROGRESS_MIN_LINES", 10)
    monkeypatch.setattr(cli_run, "_PROGRESS_EVERY_SECONDS", 0.0)
    err, out = Terminal(), io.StringIO()
    store = open_store("memory://")

    cli_run.run_file(path, store, partition=ModelPartition(), batch_size=50, out=out, err=err)

    assert f"/{len(history.envelopes):,} lines" in err.getvalue()
    assert err.getvalue().count("\r") >= 2
    assert "nodes by state" in err.getvalue()
