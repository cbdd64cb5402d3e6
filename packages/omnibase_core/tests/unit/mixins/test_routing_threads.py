"""Many threads routing on one node at once, each answer checked."""

from __future__ import annotations

import fnmatch
import threading
from collections.abc import Callable
from typing import Any

from omnibase_core.enums import EnumMessageCategory, EnumNodeKind
from omnibase_core.mixins import MixinHandlerRouting

EVT, CMD = EnumMessageCategory.EVENT, EnumMessageCategory.COMMAND


class Router(MixinHandlerRouting):
    topic_cache_size = 512  # far below the topic count: the cache is cleared under load


def _run(threads_n: int, work: Callable[[int], list[str]]) -> list[str]:
    barrier = threading.Barrier(threads_n)
    failures: list[str] = []
    lock = threading.Lock()

    def target(worker: int) -> None:
        barrier.wait()
        try:
            found = work(worker)
        except BaseException as exc:  # pragma: no cover - reported below
            found = [f"worker {worker} raised {exc!r}"]
        with lock:
            failures.extend(found)

    threads = [threading.Thread(target=target, args=(n,)) for n in range(threads_n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return failures


def test_many_threads_route_thousands_of_topics(
    make_handler: Callable[..., Any],
    make_registry: Callable[..., Any],
    make_subcontract: Callable[..., Any],
) -> None:
    services = 40
    handlers = [make_handler(f"h{index}") for index in range(services)]
    handlers.append(make_handler("cmd", CMD, EnumNodeKind.EFFECT))
    handlers.append(make_handler("fallback"))
    entries = [(f"onex.evt.svc{index}.*.v1", f"h{index}") for index in range(services)]
    entries.append(("onex.evt.svc1*", "h0"))
    entries.append(("onex.*.svc2.*", "cmd"))
    routing = make_subcontract(entries, "topic_pattern", "fallback")
    router = Router()
    router._init_handler_routing(routing, make_registry(*handlers))
    patterns = list(dict.fromkeys(entry[0] for entry in entries))
    owners: dict[str, list[str]] = {}
    for pattern, handler_id in entries:
        owners.setdefault(pattern, []).append(handler_id)
    by_id = {handler.handler_id: handler for handler in handlers}

    def expected(topic: str, category: EnumMessageCategory) -> list[str]:
        for pattern in patterns:
            if fnmatch.fnmatchcase(topic, pattern):
                return [h for h in owners[pattern] if by_id[h].category == category]
        return ["fallback"] if category is EVT else []

    topics = [f"onex.evt.svc{n % (services + 5)}.kind{n % 7}.v{1 + n % 2}" for n in range(4000)]
    answers = {(t, c): expected(t, c) for t in topics for c in (EVT, CMD)}

    def work(worker: int) -> list[str]:
        failures = []
        for step in range(len(topics)):
            topic = topics[(step * (worker + 1) + worker * 97) % len(topics)]
            for category in (EVT, CMD):
                got = [h.handler_id for h in router.route_to_handlers(topic, category)]
                if got != answers[(topic, category)]:  # pragma: no cover - reported
                    failures.append(f"{topic}/{category}: {got} != {answers[(topic, category)]}")
        return failures

    assert _run(8, work) == []


def _route_while_reinitialising(
    router: Router, registry: Any, contracts: tuple[Any, Any], check: Callable[[int, int], str]
) -> list[str]:
    """Thread 0 re-initialises ``router`` 300 times, alternating ``contracts``; eight others
    call ``check(worker, step)`` meanwhile (it returns a failure, or ``""``)."""
    router._init_handler_routing(contracts[0], registry)
    stop = threading.Event()

    def flip(worker: int) -> list[str]:
        if worker == 0:
            for step in range(300):
                router._init_handler_routing(contracts[step % 2], registry)
            stop.set()
            return []
        failures = []
        step = 0
        while not stop.is_set():
            step += 1
            failure = check(worker, step)
            if failure:  # pragma: no cover - reported
                failures.append(failure)
        return failures

    return _run(9, flip)


def test_routing_while_reinitialising_never_mixes_contracts(
    make_handler: Callable[..., Any],
    make_registry: Callable[..., Any],
    make_subcontract: Callable[..., Any],
) -> None:
    registry = make_registry(make_handler("old-1"), make_handler("old-2"), make_handler("new-1"))
    old = make_subcontract([("t.*", "old-1"), ("t.*", "old-2")], "topic_pattern")
    new = make_subcontract([("t.*", "new-1")], "topic_pattern")
    router = Router()

    def check(worker: int, step: int) -> str:
        got = {h.handler_id for h in router.route_to_handlers(f"t.{step % 1000}", EVT)}
        return "" if got in ({"old-1", "old-2"}, {"new-1"}) else f"mixed answer {sorted(got)}"

    assert _route_while_reinitialising(router, registry, (old, new), check) == []


def test_unknown_keys_while_reinitialising_get_one_contracts_default(
    make_handler: Callable[..., Any],
    make_registry: Callable[..., Any],
    make_subcontract: Callable[..., Any],
) -> None:
    registry = make_registry(make_handler("old-d"), make_handler("new-d"), make_handler("k"))
    old = make_subcontract([("K", "k")], "payload_type_match", "old-d")
    new = make_subcontract([("K", "k")], "operation_match", "new-d")
    router = Router()

    def check(worker: int, step: int) -> str:
        unknown = [h.handler_id for h in router.route_to_handlers(f"u{worker}.{step}", EVT)]
        known = [h.handler_id for h in router.route_to_handlers("K", EVT)]
        if unknown in (["old-d"], ["new-d"]) and known == ["k"]:
            return ""
        return f"unknown -> {unknown}, K -> {known}"

    assert _route_while_reinitialising(router, registry, (old, new), check) == []


def test_many_threads_resolve_deferred_routing_once(
    make_handler: Callable[..., Any],
    make_registry: Callable[..., Any],
    make_subcontract: Callable[..., Any],
) -> None:
    registry = make_registry(make_handler("a"), freeze=False)
    router = Router()
    router._init_handler_routing(make_subcontract([("K", "a")]), registry)
    registry.freeze()

    def work(worker: int) -> list[str]:
        failures = []
        for _ in range(500):
            got = [h.handler_id for h in router.route_to_handlers("K", EVT)]
            if got != ["a"]:  # pragma: no cover - reported
                failures.append(str(got))
        return failures

    assert _run(8, work) == []
    assert router.compiled_routing_table is not None
