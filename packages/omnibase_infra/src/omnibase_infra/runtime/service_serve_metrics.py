"""The metrics of a live service (``onex-registration serve``), in its own Prometheus registry.

Needs ``prometheus_client`` (the ``omnibase-infra[serve]`` extra). Every instance owns a
``CollectorRegistry`` of its own, never the process-global one, so several services (or tests)
in one process do not collide. The service calls the small typed methods below; ``/metrics``
serves :meth:`ServiceServeMetrics.render`. docs/operations.md lists every metric, its labels
and what to alert on.

Label values are bounded on purpose: outcomes and reasons must be short codes (``applied``,
``dead_lettered``, ``invalid_payload``), partitions whole numbers. A free-text detail passed
by mistake is refused instead of creating one time series per message.
"""

from __future__ import annotations

import contextlib
import math
import re
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Literal

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, generate_latest
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.process_collector import ProcessCollector

from omnibase_core.enums import EnumCoreErrorCode
from omnibase_core.models.errors import ModelOnexError

#: The kinds of lease change the service counts.
LeaseChangeKind = Literal["acquired", "lost", "released"]
LEASE_CHANGE_KINDS: tuple[LeaseChangeKind, ...] = ("acquired", "lost", "released")

#: Messages per batch: from single messages up to the largest batch a stream allows.
BATCH_SIZE_BUCKETS = (1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000)
#: Seconds per batch (fetch excluded: apply, commit and acknowledge).
BATCH_SECONDS_BUCKETS = (
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
)  # fmt: skip

_NAMESPACE = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
_CODE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


class ServiceServeMetrics:
    """The service's counters, gauges and histograms, and their text exposition.

    Thread-safe (``prometheus_client`` metrics are; the tick times are kept under a lock).
    Every method raises ``ModelOnexError(INVALID_PARAMETER)`` for a value it cannot record (a
    negative count, a partition that is not a whole number, a reason that is not a short
    code), naming the value.
    """

    #: ``Content-Type`` of :meth:`render`: the Prometheus text format 0.0.4.
    CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4

    def __init__(
        self,
        namespace: str = "onex_registration",
        *,
        clock: Callable[[], float] = time.time,
        process_metrics: bool = True,
    ) -> None:
        """Create the metrics, named ``<namespace>_<metric>``, in a new registry.

        ``clock`` gives the wall-clock time (seconds since the epoch) the tick lag is measured
        against when scraped. ``process_metrics`` adds the standard ``process_*`` metrics (CPU,
        memory, open files; Linux only). Raises ``ModelOnexError(INVALID_PARAMETER)`` for a
        namespace that is not a Prometheus metric name.
        """
        if not _NAMESPACE.match(namespace):
            raise _invalid(
                f"metrics namespace {namespace!r} is not a Prometheus metric name prefix "
                "(letters, digits and '_', not starting with a digit)"
            )
        self._registry = CollectorRegistry()
        registry = self._registry
        ns = namespace
        self._messages = Counter(
            "messages",
            "Input messages handled, by outcome and reason (reason is empty when applied).",
            ["outcome", "reason"],
            namespace=ns,
            registry=registry,
        )
        self._batch_size = Histogram(
            "batch_size_messages",
            "Messages per committed batch.",
            namespace=ns,
            registry=registry,
            buckets=BATCH_SIZE_BUCKETS,
        )
        self._batch_seconds = Histogram(
            "batch_duration_seconds",
            "Seconds to apply, commit and acknowledge one batch.",
            namespace=ns,
            registry=registry,
            buckets=BATCH_SECONDS_BUCKETS,
        )
        self._redeliveries = Counter(
            "redeliveries",
            "Messages delivered more than once by the bus, by partition.",
            ["partition"],
            namespace=ns,
            registry=registry,
        )
        self._pending = Gauge(
            "pending_messages",
            "Messages stored on the bus and not yet acknowledged, by owned partition.",
            ["partition"],
            namespace=ns,
            registry=registry,
        )
        self._owned = Gauge(
            "partitions_owned",
            "Partitions this process holds the lease of.",
            namespace=ns,
            registry=registry,
        )
        self._lease_changes = Counter(
            "lease_changes",
            "Partition leases acquired, lost (taken or expired) and released.",
            ["kind"],
            namespace=ns,
            registry=registry,
        )
        for kind in LEASE_CHANGE_KINDS:
            self._lease_changes.labels(kind=kind)
        self._relay_lag = Gauge(
            "relay_lag_events",
            "Outbox events committed and not yet published by the relay.",
            namespace=ns,
            registry=registry,
        )
        self._relay_published = Counter(
            "relay_published_events",
            "Outbox events the relay published (and the bus acknowledged).",
            namespace=ns,
            registry=registry,
        )
        self._store_retries = Counter(
            "store_retries",
            "Store transactions retried after a transient failure.",
            namespace=ns,
            registry=registry,
        )
        self._ticks = _TickLagCollector(f"{ns}_tick_lag_seconds", clock)
        registry.register(self._ticks)
        if process_metrics:
            ProcessCollector(registry=registry)

    @property
    def registry(self) -> CollectorRegistry:
        """The registry holding every metric of this instance (for extra collectors)."""
        return self._registry

    @property
    def content_type(self) -> str:
        """``Content-Type`` of :meth:`render`."""
        return self.CONTENT_TYPE

    def render(self) -> bytes:
        """Every metric now, in the Prometheus text format (what ``/metrics`` serves)."""
        return generate_latest(self._registry)

    def record_messages(self, outcome: str, reason: str = "", count: int = 1) -> None:
        """Count ``count`` input messages that ended in ``outcome`` for ``reason``.

        ``outcome`` is a short code (``applied``, ``ignored``, ``duplicate``,
        ``dead_lettered``); ``reason`` the ignore or dead-letter reason code, empty for applied
        messages. Raises ``ModelOnexError(INVALID_PARAMETER)`` for a code that is not
        lower-case letters, digits and ``_`` (at most 64), or a negative count.
        """
        _check_code("outcome", outcome, allow_empty=False)
        _check_code("reason", reason, allow_empty=True)
        if _count("count", count):
            self._messages.labels(outcome=str(outcome), reason=str(reason)).inc(count)

    def record_batch(self, size: int, seconds: float) -> None:
        """Observe one committed batch of ``size`` messages that took ``seconds``.

        Raises ``ModelOnexError(INVALID_PARAMETER)`` for a negative size or a negative or
        non-finite duration.
        """
        _count("size", size)
        _seconds("seconds", seconds)
        self._batch_size.observe(size)
        self._batch_seconds.observe(seconds)

    def record_redeliveries(self, partition: int, count: int = 1) -> None:
        """Count ``count`` messages of ``partition`` that the bus delivered again.

        Raises ``ModelOnexError(INVALID_PARAMETER)`` for a bad partition or count.
        """
        label = _partition(partition)
        if _count("count", count):
            self._redeliveries.labels(partition=label).inc(count)

    def set_pending(self, partition: int, messages: int) -> None:
        """Set the backlog of ``partition``: messages on the bus not yet acknowledged.

        Raises ``ModelOnexError(INVALID_PARAMETER)`` for a bad partition or count.
        """
        label = _partition(partition)
        self._pending.labels(partition=label).set(_count("messages", messages))

    def set_partitions_owned(self, count: int) -> None:
        """Set how many partitions this process owns.

        Raises ``ModelOnexError(INVALID_PARAMETER)`` for a negative count.
        """
        self._owned.set(_count("count", count))

    def record_lease_change(self, kind: LeaseChangeKind, count: int = 1) -> None:
        """Count ``count`` lease changes of ``kind``: ``acquired``, ``lost`` or ``released``.

        Raises ``ModelOnexError(INVALID_PARAMETER)`` for another kind or a negative count.
        """
        if kind not in LEASE_CHANGE_KINDS:
            raise _invalid(
                f"lease change kind {kind!r} is not one of {', '.join(LEASE_CHANGE_KINDS)}"
            )
        if _count("count", count):
            self._lease_changes.labels(kind=kind).inc(count)

    def record_tick(self, partition: int, tick_time: datetime) -> None:
        """Note that ``partition`` applied a tick for ``tick_time`` (aware).

        The tick lag gauge of the partition is the wall clock minus the last tick time,
        measured when scraped: it keeps growing while a partition does not tick (a stalled
        owner, a long backlog). Raises ``ModelOnexError(INVALID_PARAMETER)`` for a bad
        partition or a naive time.
        """
        label = _partition(partition)
        if tick_time.tzinfo is None or tick_time.utcoffset() is None:
            raise _invalid(f"tick time {tick_time.isoformat()} is naive; give an offset (UTC)")
        self._ticks.record(label, tick_time.timestamp())

    def set_relay_lag(self, events: int) -> None:
        """Set how many committed outbox events the relay has not published yet.

        Raises ``ModelOnexError(INVALID_PARAMETER)`` for a negative count.
        """
        self._relay_lag.set(_count("events", events))

    def record_relay_published(self, events: int) -> None:
        """Count ``events`` outbox events published and acknowledged by the bus.

        Raises ``ModelOnexError(INVALID_PARAMETER)`` for a negative count.
        """
        if _count("events", events):
            self._relay_published.inc(events)

    def record_store_retry(self, count: int = 1) -> None:
        """Count ``count`` store transactions retried after a transient failure.

        Raises ``ModelOnexError(INVALID_PARAMETER)`` for a negative count.
        """
        if _count("count", count):
            self._store_retries.inc(count)

    def forget_partition(self, partition: int) -> None:
        """Drop the per-partition gauges (pending, tick lag) of a partition no longer owned,
        so another owner's figures are not shadowed by stale ones. Counters stay (they only
        grow). Raises ``ModelOnexError(INVALID_PARAMETER)`` for a bad partition.
        """
        label = _partition(partition)
        with contextlib.suppress(KeyError):
            self._pending.remove(label)
        self._ticks.forget(label)


class _TickLagCollector:
    """``<namespace>_tick_lag_seconds{partition}``: wall clock minus the last tick applied,
    computed at scrape time."""

    _HELP = "Seconds between the wall clock and the last tick time applied, by owned partition."

    def __init__(self, name: str, clock: Callable[[], float]) -> None:
        self._name = name
        self._clock = clock
        self._lock = threading.Lock()
        self._last: dict[str, float] = {}

    def record(self, partition: str, timestamp: float) -> None:
        with self._lock:
            self._last[partition] = timestamp

    def forget(self, partition: str) -> None:
        with self._lock:
            self._last.pop(partition, None)

    def describe(self) -> Iterable[Metric]:
        return [GaugeMetricFamily(self._name, self._HELP, labels=["partition"])]

    def collect(self) -> Iterable[Metric]:
        family = GaugeMetricFamily(self._name, self._HELP, labels=["partition"])
        now = self._clock()
        with self._lock:
            last = sorted(self._last.items(), key=lambda item: int(item[0]))
        for partition, timestamp in last:
            family.add_metric([partition], now - timestamp)
        return [family]


def _invalid(message: str) -> ModelOnexError:
    return ModelOnexError(message, EnumCoreErrorCode.INVALID_PARAMETER)


def _count(what: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _invalid(f"{what} must be a whole number of 0 or more, got {value!r}")
    return value


def _seconds(what: str, value: float) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value < 0
    ):
        raise _invalid(f"{what} must be a finite number of seconds, 0 or more, got {value!r}")
    return float(value)


def _partition(value: int) -> str:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _invalid(f"partition must be a whole number of 0 or more, got {value!r}")
    return str(value)


def _check_code(what: str, value: str, *, allow_empty: bool) -> None:
    if not isinstance(value, str) or not (_CODE.match(value) or (allow_empty and value == "")):
        raise _invalid(
            f"{what} {value!r} is not a short code (lower-case letters, digits and '_', at most "
            "64, starting with a letter); pass the code, not a detail text"
        )
