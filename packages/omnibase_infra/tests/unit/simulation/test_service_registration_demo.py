"""ServiceRegistrationDemo returns data (the command line renders it), the same for a seed."""

from __future__ import annotations

from pathlib import Path

from omnibase_infra.enums import EnumLifecycleEventType, EnumMessageOutcome
from omnibase_infra.simulation import ModelDemoReport, ServiceRegistrationDemo
from omnibase_infra.stores import open_store


def test_the_report_is_data_that_depends_only_on_the_seed() -> None:
    first = ServiceRegistrationDemo(seed=3, nodes=15, minutes=8).run()
    again = ServiceRegistrationDemo(seed=3, nodes=15, minutes=8).run()
    other = ServiceRegistrationDemo(seed=4, nodes=15, minutes=8).run()
    timing = {"summary": {"elapsed_seconds"}}  # the one measured value
    assert first.model_dump(exclude=timing) == again.model_dump(exclude=timing)
    assert first.history != other.history
    assert first.failures == []
    assert "account" not in ModelDemoReport.model_fields  # nothing pre-rendered
    assert (first.seed, first.minutes, first.store_label) == (3, 8, "SQLite, temporary file")
    assert set(first.events_by_type) == set(EnumLifecycleEventType)
    assert first.events_total == first.summary.events_emitted
    assert {n.node_id for n in first.nodes} == {n.node_id for n in first.history.nodes}


def test_a_given_store_holds_what_the_report_says(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/demo.db"
    report = ServiceRegistrationDemo(seed=5, nodes=10, minutes=6, store_url=url).run()
    assert report.store_label == "given store"
    store = open_store(url)
    try:
        assert tuple(store.list_nodes()) == report.nodes
        counts = store.count_outcomes()
        assert counts[EnumMessageOutcome.APPLIED] == report.summary.applied
        assert sum(1 for _ in store.iter_events()) == report.events_total
    finally:
        store.close()
