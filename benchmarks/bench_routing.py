"""Routing benchmark: route cost as a ratio to a bare dict lookup, plus start-up costs.

Run with ``python benchmarks/bench_routing.py``. Prints one table and exits 1 when any target
is missed. Every measurement is the minimum over many ``timeit`` repeats; every ratio divides
by a floor measured in the same run on the same keys: ``dict.get`` on a prebuilt dict of
tuples.
"""

from __future__ import annotations

import subprocess
import sys
import time
import timeit
from collections.abc import Callable
from typing import Any

from omnibase_core.enums import EnumMessageCategory, EnumNodeKind
from omnibase_core.mixins import MixinHandlerRouting
from omnibase_core.models.contracts.subcontracts import ModelHandlerRoutingSubcontract
from omnibase_core.services import ServiceHandlerRegistry

EVT = EnumMessageCategory.EVENT
REPEATS = 25
TOPIC_COUNT = 10_000


class Handler:
    def __init__(self, handler_id: str) -> None:
        self.handler_id = handler_id
        self.category = EVT
        self.node_kind = EnumNodeKind.ORCHESTRATOR
        self.message_types: set[str] = set()

    async def handle(self, envelope: Any) -> Any:  # pragma: no cover - never awaited
        return None


class Router(MixinHandlerRouting):
    pass


class UncachedRouter(MixinHandlerRouting):
    topic_cache_size = 0


def per_call_ns(stmt: Callable[[], object], calls: int, number: int = 20) -> float:
    """Minimum over REPEATS of the time per call, in nanoseconds."""
    best = min(timeit.repeat(stmt, number=number, repeat=REPEATS))
    return best / (number * calls) * 1e9


def build_router(
    n: int, strategy: str, key: Callable[[int], str], default: bool, cls: type[Router] = Router
) -> Router:
    registry = ServiceHandlerRegistry()
    for index in range(n):
        registry.register_handler(Handler(f"h{index}"))
    registry.register_handler(Handler("fallback"))
    registry.freeze()
    routing = ModelHandlerRoutingSubcontract.model_validate(
        {
            "version": "1.0.0",
            "routing_strategy": strategy,
            "handlers": [{"routing_key": key(i), "handler_key": f"h{i}"} for i in range(n)],
            "default_handler": "fallback" if default else None,
        }
    )
    router = cls()
    router._init_handler_routing(routing, registry)
    return router


def measure_pair(router: Router, keys: list[str]) -> tuple[float, float]:
    """(floor ns, route ns) per call over ``keys``."""
    answers = {key: tuple(router.route_to_handlers(key, EVT)) for key in keys}
    get = answers.get
    route = router.route_to_handlers
    calls = len(keys)

    def floor() -> None:
        for key in keys:
            get(key)

    def routed() -> None:
        for key in keys:
            route(key, EVT)

    routed()  # warm caches
    return per_call_ns(floor, calls), per_call_ns(routed, calls)


Row = tuple[str, float, float, float | None, str]


def main() -> int:
    rows: list[Row] = []
    costs: dict[str, float] = {}

    def add(name: str, floor: float, cost: float, limit: float | None) -> None:
        ratio = cost / floor
        verdict = "-" if limit is None else ("PASS" if ratio <= limit else "FAIL")
        rows.append((name, floor, cost, ratio, f"<= {limit:g}x {verdict}" if limit else "report"))
        costs[name] = cost

    for strategy, label in (("payload_type_match", "payload"), ("operation_match", "operation")):
        for n in (10, 100, 1000):
            router = build_router(n, strategy, lambda i: f"Model{i}Event", default=False)
            keys = [f"Model{i % n}Event" for i in range(1000)]
            add(f"{label} hit N={n}", *measure_pair(router, keys), 8)
    for default in (False, True):
        router = build_router(100, "payload_type_match", lambda i: f"Model{i}Event", default)
        keys = [f"Unknown{i}" for i in range(1000)]
        add(f"unknown key, default={'yes' if default else 'no'}", *measure_pair(router, keys), 8)

    topics_by_n: dict[int, list[str]] = {}
    for n in (10, 100, 1000):
        router = build_router(n, "topic_pattern", lambda i: f"onex.evt.svc{i}.*.v1", default=True)
        topics = [
            f"onex.evt.svc{i % (n + n // 10)}.kind{i}.v{1 + i % 2}" for i in range(TOPIC_COUNT)
        ]
        topics_by_n[n] = topics
        add(
            f"topic N={n}, {TOPIC_COUNT} topics",
            *measure_pair(router, topics),
            60 if n == 1000 else None,
        )
    for n in (10, 1000):
        router = build_router(
            n, "topic_pattern", lambda i: f"onex.evt.svc{i}.*.v1", default=True, cls=UncachedRouter
        )
        add(f"topic N={n}, no cache", *measure_pair(router, topics_by_n[n]), None)

    scale = (
        costs[f"topic N=1000, {TOPIC_COUNT} topics"] / costs[f"topic N=10, {TOPIC_COUNT} topics"]
    )
    scale_uncached = costs["topic N=1000, no cache"] / costs["topic N=10, no cache"]

    build_times = []
    for _ in range(5):
        start = time.perf_counter()
        build_router(1000, "payload_type_match", lambda i: f"Model{i}Event", default=True)
        build_times.append(time.perf_counter() - start)

    def import_time(code: str) -> float:
        samples = []
        for _ in range(7):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True)
            samples.append(time.perf_counter() - start)
        return min(samples)

    base_import = import_time("import pydantic, yaml")
    mixin_import = import_time("import omnibase_core.mixins")

    failed = False
    print(f"{'measurement':<34} {'floor ns':>9} {'cost ns':>9} {'ratio':>7}  target")
    print("-" * 76)
    for name, floor, cost, ratio, verdict in rows:
        print(f"{name:<34} {floor:>9.1f} {cost:>9.1f} {ratio:>6.2f}x  {verdict}")
        failed |= verdict.endswith("FAIL")
    checks = [
        ("topic cost N=1000 / N=10", scale, 2.0),
        ("topic cost N=1000 / N=10, no cache", scale_uncached, None),
        ("import omnibase_core.mixins / pydantic+yaml", mixin_import / base_import, 1.5),
    ]
    for name, ratio, limit in checks:
        verdict = (
            "report" if limit is None else f"<= {limit:g}x {'PASS' if ratio <= limit else 'FAIL'}"
        )
        failed |= verdict.endswith("FAIL")
        print(f"{name:<54} {ratio:>6.2f}x  {verdict}")
    print(
        f"{'build 1000-entry subcontract from dict + init routing':<54} "
        f"{min(build_times) * 1e3:>6.1f} ms report"
    )
    print(
        f"{'import wall time (pydantic+yaml / omnibase_core.mixins)':<54} "
        f"{base_import * 1e3:.0f} ms / {mixin_import * 1e3:.0f} ms"
    )
    print("FAILED" if failed else "all targets met")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
