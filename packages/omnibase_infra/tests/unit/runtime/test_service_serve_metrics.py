"""The service's metrics: each method moves its metric, in a registry of the instance's own,
rendered in the Prometheus text format; values it cannot record are refused by name."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from omnibase_core.enums import EnumCoreErrorCode
from omnibase_core.models.errors import ModelOnexError
from omnibase_infra.enums import EnumDeadLetterReason, EnumMessageOutcome
from omnibase_infra.runtime.protocol_metrics_exposition import ProtocolMetricsExposition
from omnibase_infra.runtime.service_serve_metrics import ServiceServeMetrics

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def samples(metrics: ServiceServeMetrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a render, keyed by name and sorted labels (parsed by the reference
    parser, so the text is valid exposition format)."""
    out = {}
    for family in text_string_to_metric_families(metrics.render().decode("utf-8")):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def value(metrics: ServiceServeMetrics, name: str, **labels: str) -> float | None:
    return samples(metrics).get((name, tuple(sorted(labels.items()))))


@pytest.fixture
def metrics() -> ServiceServeMetrics:
    return ServiceServeMetrics(clock=NOW.timestamp, process_metrics=False)


def test_messages_are_counted_by_outcome_and_reason(metrics: ServiceServeMetrics) -> None:
    metrics.record_messages(EnumMessageOutcome.APPLIED, count=5)
    metrics.record_messages("applied")
    metrics.record_messages(
        EnumMessageOutcome.DEAD_LETTERED, EnumDeadLetterReason.INVALID_PAYLOAD, 2
    )
    metrics.record_messages("ignored", "stale_epoch", 0)  # zero: creates nothing

    name = "onex_registration_messages_total"
    assert value(metrics, name, outcome="applied", reason="") == 6
    assert value(metrics, name, outcome="dead_lettered", reason="invalid_payload") == 2
    assert value(metrics, name, outcome="ignored", reason="stale_epoch") is None


def test_batches_fill_both_histograms(metrics: ServiceServeMetrics) -> None:
    metrics.record_batch(10, 0.02)
    metrics.record_batch(300, 1.5)

    size = "onex_registration_batch_size_messages"
    assert value(metrics, f"{size}_count") == 2
    assert value(metrics, f"{size}_sum") == 310
    assert value(metrics, f"{size}_bucket", le="10.0") == 1
    assert value(metrics, f"{size}_bucket", le="500.0") == 2
    seconds = "onex_registration_batch_duration_seconds"
    assert value(metrics, f"{seconds}_sum") == pytest.approx(1.52)
    assert value(metrics, f"{seconds}_bucket", le="0.025") == 1
    assert value(metrics, f"{seconds}_bucket", le="+Inf") == 2


def test_partition_gauges_and_counters(metrics: ServiceServeMetrics) -> None:
    metrics.record_redeliveries(3, 4)
    metrics.record_redeliveries(3)
    metrics.set_pending(0, 17)
    metrics.set_pending(1, 2)
    metrics.set_pending(0, 9)
    metrics.set_partitions_owned(2)

    assert value(metrics, "onex_registration_redeliveries_total", partition="3") == 5
    assert value(metrics, "onex_registration_pending_messages", partition="0") == 9
    assert value(metrics, "onex_registration_pending_messages", partition="1") == 2
    assert value(metrics, "onex_registration_partitions_owned") == 2


def test_every_lease_change_kind_is_shown_from_the_start(metrics: ServiceServeMetrics) -> None:
    name = "onex_registration_lease_changes_total"
    assert [value(metrics, name, kind=k) for k in ("acquired", "lost", "released")] == [0, 0, 0]

    metrics.record_lease_change("acquired", 3)
    metrics.record_lease_change("lost")

    assert [value(metrics, name, kind=k) for k in ("acquired", "lost", "released")] == [3, 1, 0]


def test_tick_lag_is_measured_when_scraped() -> None:
    clock = [NOW.timestamp()]
    metrics = ServiceServeMetrics(clock=lambda: clock[0], process_metrics=False)
    metrics.record_tick(0, NOW - timedelta(seconds=4))
    metrics.record_tick(1, (NOW - timedelta(seconds=1)).astimezone(timezone(timedelta(hours=2))))

    name = "onex_registration_tick_lag_seconds"
    assert value(metrics, name, partition="0") == 4
    assert value(metrics, name, partition="1") == 1
    clock[0] += 30  # no tick applied since: the lag grows
    assert value(metrics, name, partition="0") == 34


def test_relay_and_store_figures(metrics: ServiceServeMetrics) -> None:
    metrics.set_relay_lag(120)
    metrics.record_relay_published(100)
    metrics.record_relay_published(20)
    metrics.set_relay_lag(0)
    metrics.record_store_retry()
    metrics.record_store_retry(2)

    assert value(metrics, "onex_registration_relay_lag_events") == 0
    assert value(metrics, "onex_registration_relay_published_events_total") == 120
    assert value(metrics, "onex_registration_store_retries_total") == 3


def test_forgetting_a_partition_drops_its_gauges_not_its_counters(
    metrics: ServiceServeMetrics,
) -> None:
    metrics.set_pending(2, 5)
    metrics.record_tick(2, NOW)
    metrics.record_redeliveries(2)
    metrics.forget_partition(2)
    metrics.forget_partition(7)  # never seen: nothing to drop

    assert value(metrics, "onex_registration_pending_messages", partition="2") is None
    assert value(metrics, "onex_registration_tick_lag_seconds", partition="2") is None
    assert value(metrics, "onex_registration_redeliveries_total", partition="2") == 1


def test_instances_have_their_own_registries() -> None:
    first = ServiceServeMetrics(process_metrics=False)
    second = ServiceServeMetrics(process_metrics=False)
    first.set_partitions_owned(4)

    assert value(second, "onex_registration_partitions_owned") == 0
    assert REGISTRY.get_sample_value("onex_registration_partitions_owned") is None
    assert first.registry is not second.registry


def test_namespace_and_process_metrics() -> None:
    metrics = ServiceServeMetrics("shop_orders")
    names = {name for name, _ in samples(metrics)}

    assert "shop_orders_partitions_owned" in names
    assert not any(name.startswith("onex_registration_") for name in names)
    assert "process_cpu_seconds_total" in names
    assert metrics.content_type == "text/plain; version=0.0.4; charset=utf-8"
    assert isinstance(metrics, ProtocolMetricsExposition)


def test_concurrent_updates_are_all_counted(metrics: ServiceServeMetrics) -> None:
    def work(partition: int) -> None:
        for _ in range(2000):
            metrics.record_messages("applied")
            metrics.record_redeliveries(partition)
            metrics.record_tick(partition, NOW)

    threads = [threading.Thread(target=work, args=(k % 4,)) for k in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert value(metrics, "onex_registration_messages_total", outcome="applied", reason="") == (
        16_000
    )
    for k in range(4):
        assert value(metrics, "onex_registration_redeliveries_total", partition=str(k)) == 4000


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (lambda m: m.record_messages("applied", count=-1), "count must be a whole number"),
        (lambda m: m.record_messages("Applied"), "outcome 'Applied' is not a short code"),
        (lambda m: m.record_messages(""), "outcome '' is not a short code"),
        (
            lambda m: m.record_messages("ignored", "epoch 3 is older than 4"),
            "reason 'epoch 3 is older than 4' is not a short code",
        ),
        (lambda m: m.record_batch(-1, 0.1), "size must be a whole number of 0 or more, got -1"),
        (lambda m: m.record_batch(1, float("nan")), "seconds must be a finite number"),
        (lambda m: m.record_batch(1, -0.5), "got -0.5"),
        (lambda m: m.record_batch(True, 0.1), "size must be a whole number"),
        (lambda m: m.record_redeliveries(-1), "partition must be a whole number of 0 or more"),
        (lambda m: m.set_pending(1.5, 3), "partition must be a whole number of 0 or more"),
        (lambda m: m.set_pending(0, -3), "messages must be a whole number"),
        (lambda m: m.set_partitions_owned(-1), "count must be a whole number"),
        (lambda m: m.record_lease_change("stolen"), "lease change kind 'stolen' is not one of"),
        (lambda m: m.record_tick(0, datetime(2026, 3, 1)), "tick time 2026-03-01T00:00:00 is"),
        (lambda m: m.set_relay_lag(-2), "events must be a whole number"),
        (lambda m: m.record_relay_published(-2), "events must be a whole number"),
        (lambda m: m.record_store_retry(-1), "count must be a whole number"),
        (lambda m: m.forget_partition(-4), "partition must be a whole number"),
    ],
)
def test_bad_values_are_refused_by_name(
    metrics: ServiceServeMetrics, call: Callable[[ServiceServeMetrics], object], expected: str
) -> None:
    with pytest.raises(ModelOnexError) as caught:
        call(metrics)

    assert expected in caught.value.message
    assert caught.value.error_code is EnumCoreErrorCode.INVALID_PARAMETER


@pytest.mark.parametrize("namespace", ["", "9lives", "onex-registration", "a b"])
def test_bad_namespace_is_refused(namespace: str) -> None:
    with pytest.raises(ModelOnexError, match="is not a Prometheus metric name prefix"):
        ServiceServeMetrics(namespace)
