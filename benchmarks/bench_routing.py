"""Routing benchmark: route cost as a ratio to a bare dict lookup, plus start-up costs.

Run with ``python benchmarks/bench_routing.py`` (or ``uv run nox -s bench --
benchmarks/bench_routing.py``). Prints one table and exits 1 when any target is missed.

Every cost is the minimum, over many short samples, of the time per routed key; the samples
of the measurements that are compared with each other are interleaved, so a busy machine
slows them alike. Every ratio divides by a floor measured in the same run on the same keys:
``dict.get`` on a prebuilt dict of tuples. Keys are hashed before the clock starts (a string
caches its hash), so the figures are routing's own cost.

The miss rows route unknown keys (no entry matches; the default handler, if any, answers):
*warm* keys were routed before, *cold* keys never were (fresh keys in every sample). A miss
must cost at most 1.5x a hit measured in the same samples.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from omnibase_core.enums import EnumMessageCategory, EnumNodeKind
from omnibase_core.mixins import MixinHandlerRouting
from omnibase_core.models.contracts.subcontracts import ModelHandlerRoutingSubcontract
from omnibase_core.services import ServiceHandlerRegistry

EVT = EnumMessageCategory.EVENT
SAMPLES = 150
KEYS = 1000
TOPIC_COUNT = 10_000
MISS_OVER_HIT = 1.5

Keys = list[str]
Loop = Callable[[Keys], None]


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


class UncachedRouter(Router):
    topic_cache_size = 0


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


def floor_loop(answers: dict[str, tuple[Any, ...]]) -> Loop:
    get = answers.get

    def run(keys: Keys) -> None:
        for key in keys:
            get(key)

    return run


def route_loop(router: Router) -> Loop:
    route = router.route_to_handlers

    def run(keys: Keys) -> None:
        for key in keys:
            route(key, EVT)

    return run


def fresh_batches(make: Callable[[int, int], str], size: int) -> list[Keys]:
    """``SAMPLES`` batches of ``size`` distinct keys, hashed, none seen by any router."""
    batches = [[make(sample, index) for index in range(size)] for sample in range(SAMPLES)]
    for batch in batches:
        for key in batch:
            hash(key)
    return batches


#: What one sample of a measurement runs: sample number -> (loop, the keys it goes over).
Run = Callable[[int], tuple[Loop, Keys]]


def best_ns(runs: list[Run]) -> list[float]:
    """Per run, the minimum over ``SAMPLES`` interleaved samples of the ns per key."""
    best = [float("inf")] * len(runs)
    clock = time.perf_counter
    for sample in range(SAMPLES):
        for index, run in enumerate(runs):
            loop, keys = run(sample)
            start = clock()
            loop(keys)
            best[index] = min(best[index], (clock() - start) / len(keys))
    return [seconds * 1e9 for seconds in best]


def over_fresh(loops: list[Loop], batches: list[Keys]) -> Run:
    """Sample ``s`` runs ``loops[s]`` over ``batches[s]``: keys no earlier sample used."""
    return lambda sample: (loops[sample], batches[sample])


def answers_of(router: Router, keys: Keys) -> dict[str, tuple[Any, ...]]:
    return {key: tuple(router.route_to_handlers(key, EVT)) for key in keys}


def chunks(keys: Keys) -> list[Keys]:
    """``keys`` in runs of ``KEYS``: one short sample each, rarely cut by the scheduler."""
    return [keys[start : start + KEYS] for start in range(0, len(keys), KEYS)]


def warm_pair(router: Router, keys: Keys) -> tuple[Run, Run]:
    """(floor, route) over ``keys`` (a sample takes the next chunk), each key routed once."""
    for key in keys:
        hash(key)
    answers = answers_of(router, keys)
    parts = chunks(keys)
    floor, routed = floor_loop(answers), route_loop(router)
    return (
        lambda sample: (floor, parts[sample % len(parts)]),
        lambda sample: (routed, parts[sample % len(parts)]),
    )


Row = tuple[str, float, float, float, str]


def main() -> int:
    rows: list[Row] = []
    costs: dict[str, float] = {}
    checks: list[tuple[str, float, float | None]] = []

    def add(name: str, floor: float, cost: float, limit: float | None) -> None:
        ratio = cost / floor
        verdict = "report"
        if limit is not None:
            verdict = f"<= {limit:g}x {'PASS' if ratio <= limit else 'FAIL'}"
        rows.append((name, floor, cost, ratio, verdict))
        costs[name] = cost

    for strategy, label in (("payload_type_match", "payload"), ("operation_match", "operation")):
        for n in (10, 100, 1000):
            router = build_router(n, strategy, lambda i: f"Model{i}Event", default=False)
            floor, routed = warm_pair(router, [f"Model{i % n}Event" for i in range(KEYS)])
            floor_ns, cost_ns = best_ns([floor, routed])
            add(f"{label} hit N={n}", floor_ns, cost_ns, 8)

    # Misses, each beside hits of the same router in the same samples.
    for default in (False, True):
        suffix = f"default={'yes' if default else 'no'}"
        router = build_router(100, "payload_type_match", lambda i: f"Model{i}Event", default)
        hit_floor, hit_routed = warm_pair(router, [f"Model{i % 100}Event" for i in range(KEYS)])
        warm_floor, warm_routed = warm_pair(router, [f"Unknown{i}" for i in range(KEYS)])
        cold = fresh_batches(lambda sample, i: f"Cold{sample}.{i}", KEYS)
        answer = tuple(router.route_to_handlers("never-routed", EVT))
        cold_floors = [floor_loop(dict.fromkeys(batch, answer)) for batch in cold]
        route_cold = route_loop(router)
        hit_f, hit, warm_f, warm, cold_f, cold_c = best_ns(
            [
                hit_floor,
                hit_routed,
                warm_floor,
                warm_routed,
                over_fresh(cold_floors, cold),
                over_fresh([route_cold] * SAMPLES, cold),
            ]
        )
        add(f"unknown key, {suffix}", warm_f, warm, 8)
        add(f"unknown key cold, {suffix}", cold_f, cold_c, None)
        add(f"hit beside the misses, {suffix}", hit_f, hit, None)
        checks.append((f"unknown key / hit, warm, {suffix}", warm / hit, MISS_OVER_HIT))
        checks.append((f"unknown key / hit, cold, {suffix}", cold_c / hit, MISS_OVER_HIT))

    # Topics: the three sizes in the same samples, so their costs compare.
    topic_runs: list[Run] = []
    topics_by_n: dict[int, Keys] = {}
    for n in (10, 100, 1000):
        router = build_router(n, "topic_pattern", lambda i: f"onex.evt.svc{i}.*.v1", default=True)
        topics_by_n[n] = [
            f"onex.evt.svc{i % (n + n // 10)}.kind{i}.v{1 + i % 2}" for i in range(TOPIC_COUNT)
        ]
        topic_runs.extend(warm_pair(router, topics_by_n[n]))
    measured = best_ns(topic_runs)
    for index, n in enumerate((10, 100, 1000)):
        add(
            f"topic N={n}, {TOPIC_COUNT} topics",
            measured[2 * index],
            measured[2 * index + 1],
            60 if n == 1000 else None,
        )
    router = build_router(1000, "topic_pattern", lambda i: f"onex.evt.svc{i}.*.v1", default=True)
    floor, warm_routed = warm_pair(router, [f"onex.evt.svc{i % 1100}.k{i}.v1" for i in range(KEYS)])
    cold = fresh_batches(lambda sample, i: f"onex.evt.svc{i % 1100}.cold{sample}.v1", KEYS)
    floor_ns, cold_ns, warm_ns = best_ns(
        [floor, over_fresh([route_loop(router)] * SAMPLES, cold), warm_routed]
    )
    add("topic N=1000, cold topics", floor_ns, cold_ns, None)
    checks.append(("topic N=1000: cold topic / cached topic", cold_ns / warm_ns, None))
    uncached_runs: list[Run] = []
    for n in (10, 1000):
        router = build_router(
            n, "topic_pattern", lambda i: f"onex.evt.svc{i}.*.v1", default=True, cls=UncachedRouter
        )
        uncached_runs.extend(warm_pair(router, topics_by_n[n]))
    measured = best_ns(uncached_runs)
    add("topic N=10, no cache", measured[0], measured[1], None)
    add("topic N=1000, no cache", measured[2], measured[3], None)

    cached = f"{TOPIC_COUNT} topics"
    checks.append(
        (
            "topic cost N=1000 / N=10",
            costs[f"topic N=1000, {cached}"] / costs[f"topic N=10, {cached}"],
            2.0,
        )
    )
    checks.append(
        (
            "topic cost N=1000 / N=10, no cache",
            costs["topic N=1000, no cache"] / costs["topic N=10, no cache"],
            None,
        )
    )

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
    checks.append(("import omnibase_core.mixins / pydantic+yaml", mixin_import / base_import, 1.5))

    failed = False
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"load average (1, 5, 15 min): {load} on {os.cpu_count()} CPUs")
    print(f"{'measurement':<38} {'floor ns':>9} {'cost ns':>9} {'ratio':>7}  target")
    print("-" * 80)
    for name, floor_cost, cost, ratio, verdict in rows:
        print(f"{name:<38} {floor_cost:>9.1f} {cost:>9.1f} {ratio:>6.2f}x  {verdict}")
        failed |= verdict.endswith("FAIL")
    for name, ratio, limit in checks:
        verdict = "report"
        if limit is not None:
            verdict = f"<= {limit:g}x {'PASS' if ratio <= limit else 'FAIL'}"
        failed |= verdict.endswith("FAIL")
        print(f"{name:<58} {ratio:>6.2f}x  {verdict}")
    print(
        f"{'build 1000-entry subcontract from dict + init routing':<58} "
        f"{min(build_times) * 1e3:>6.1f} ms report"
    )
    print(
        f"{'import wall time (pydantic+yaml / omnibase_core.mixins)':<58} "
        f"{base_import * 1e3:.0f} ms / {mixin_import * 1e3:.0f} ms"
    )
    print("FAILED" if failed else "all targets met")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
