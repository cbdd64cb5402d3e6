"""10,000 mixed messages, a tenth of them malformed: every one is accounted for."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from omnibase_infra.cli.cli_registration import main
from omnibase_infra.enums import EnumMessageOutcome
from omnibase_infra.simulation import ServiceClusterSimulator, ServiceWireStreamWriter
from omnibase_infra.stores.store_factory import open_store


def test_ten_thousand_mixed_lines_a_tenth_malformed_add_up(
    tmp_path: Path,
    write_lines: Callable[[Path, Sequence[str]], Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    history = ServiceClusterSimulator(seed=3, nodes=120, minutes=30).simulate()
    assert len(history.envelopes) >= 9_000
    writer = ServiceWireStreamWriter(malformed_fraction=0.1, seed=3)
    lines = writer.lines(history.envelopes[:9_000])
    events = write_lines(tmp_path / "mixed.jsonl", lines)
    url = f"sqlite:///{tmp_path / 'registry.db'}"

    status = main(["run", str(events), "--store", url, "--out", str(tmp_path / "out.jsonl")])

    assert status == 0
    report = capsys.readouterr().err
    assert len(lines) == 10_000
    store = open_store(url)
    try:
        outcomes = store.count_outcomes()
        dead = store.list_dead_letters()
    finally:
        store.close()
    duplicates = 9_000 - len({e.envelope_id for e in history.envelopes[:9_000]})
    # applied + ignored + duplicates + dead-lettered == input
    assert sum(outcomes.values()) + duplicates == 10_000
    assert outcomes[EnumMessageOutcome.DEAD_LETTERED] == len(dead) == 1_000
    assert {r.value: n for r, n in writer.expected_dead_letters.items()} == {
        reason: sum(1 for d in dead if d.reason.value == reason)
        for reason in {d.reason.value for d in dead}
    }
    assert all(d.line_number is not None and d.source == "mixed.jsonl" for d in dead)
    assert _count(report, "lines") == 10_000
    assert (
        _count(report, "applied")
        + _count(report, "ignored")
        + _count(report, "duplicates")
        + _count(report, "dead-lettered")
        == 10_000
    )
    assert _count(report, "dead-lettered") == 1_000
    emitted = (tmp_path / "out.jsonl").read_text().splitlines()
    assert len(emitted) == _count_events(report) > 0


def _count(report: str, label: str) -> int:
    for line in report.splitlines():
        parts = line.split()
        if parts and parts[0] == label:
            return int(parts[1].replace(",", ""))
    raise AssertionError(f"no {label!r} line in the summary:\n{report}")


def _count_events(report: str) -> int:
    line = next(x for x in report.splitlines() if x.startswith("emitted "))
    return int(line.split()[1].replace(",", ""))
