"""Tests of MixinHandlerRouting: strategies, ordering, fallback, categories, errors, state."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from omnibase_core.enums import (
    EnumCoreErrorCode,
    EnumHandlerRoutingStrategy,
    EnumMessageCategory,
    EnumNodeKind,
)
from omnibase_core.mixins import MixinHandlerRouting
from omnibase_core.models.errors import ModelOnexError

EVT, CMD, INT = EnumMessageCategory.EVENT, EnumMessageCategory.COMMAND, EnumMessageCategory.INTENT
ORCH, EFF = EnumNodeKind.ORCHESTRATOR, EnumNodeKind.EFFECT

Factory = Callable[..., Any]


class Router(MixinHandlerRouting):
    """The mixin on its own."""


def ids(handlers: list[Any]) -> list[str]:
    return [handler.handler_id for handler in handlers]


@pytest.fixture
def handlers(make_handler: Factory) -> dict[str, Any]:
    return {
        "a": make_handler("a", EVT, ORCH),
        "b": make_handler("b", EVT, ORCH),
        "c": make_handler("c", CMD, EFF),
        "d": make_handler("d", EVT, ORCH),
        "i": make_handler("i", INT, EFF),
        "default-evt": make_handler("default-evt", EVT, ORCH),
        "default-cmd": make_handler("default-cmd", CMD, ORCH),
    }


@pytest.fixture
def router_for(
    handlers: dict[str, Any], make_registry: Factory, make_subcontract: Factory
) -> Callable[..., Router]:
    def build(
        entries: list[tuple[Any, ...]],
        strategy: str = "payload_type_match",
        default: str | None = None,
    ) -> Router:
        router = Router()
        router._init_handler_routing(
            make_subcontract(entries, strategy, default), make_registry(*handlers.values())
        )
        return router

    return build


# -- exact strategies ------------------------------------------------------------------------

EXACT_STRATEGIES = ["payload_type_match", "operation_match"]

EXACT_CASES: list[tuple[list[tuple[Any, ...]], str | None, str, Any, list[str]]] = [
    ([("K", "a")], None, "K", EVT, ["a"]),
    ([("K", "a")], None, "k", EVT, []),
    ([("K", "a")], None, "K ", EVT, []),
    ([("K", "a")], None, "Other", EVT, []),
    ([("K", "a"), ("K", "b")], None, "K", EVT, ["a", "b"]),
    ([("K", "b"), ("K", "a")], None, "K", EVT, ["b", "a"]),
    ([("K", "a", 5), ("K", "b", 1)], None, "K", EVT, ["b", "a"]),
    ([("K", "a", 0), ("K", "b", -3), ("K", "d", 0)], None, "K", EVT, ["b", "a", "d"]),
    ([("K", "a", 1000), ("K", "b", -1000)], None, "K", EVT, ["b", "a"]),
    ([("K", "a"), ("K", "c")], None, "K", EVT, ["a"]),
    ([("K", "a"), ("K", "c")], None, "K", CMD, ["c"]),
    ([("K", "a"), ("K", "c")], None, "K", INT, []),
    ([("K", "a")], "default-evt", "K", EVT, ["a"]),
    ([("K", "a")], "default-evt", "Nope", EVT, ["default-evt"]),
    ([("K", "a")], "default-evt", "Nope", CMD, []),
    ([("K", "a")], "default-cmd", "Nope", CMD, ["default-cmd"]),
    ([("K", "a")], "default-cmd", "K", CMD, []),
    ([("K", "c")], "default-evt", "K", EVT, []),
    ([("K", "a"), ("L", "b")], None, "L", EVT, ["b"]),
    ([("K", "a"), ("L", "a")], None, "L", EVT, ["a"]),
    ([("K", "i")], None, "K", INT, ["i"]),
    ([("ModelX", "a", 0, "event")], None, "ModelX", EVT, ["a"]),
    ([("ModelX", "a"), ("ModelX", "b", -1), ("ModelX", "c", -2)], None, "ModelX", EVT, ["b", "a"]),
    ([("op.create", "c"), ("op.delete", "c")], None, "op.delete", CMD, ["c"]),
    ([("a*", "a")], None, "abc", EVT, []),
    ([("a*", "a")], None, "a*", EVT, ["a"]),
]


@pytest.mark.parametrize("strategy", EXACT_STRATEGIES)
@pytest.mark.parametrize(("entries", "default", "key", "category", "expected"), EXACT_CASES)
def test_exact_strategies(
    router_for: Callable[..., Router],
    strategy: str,
    entries: list[tuple[Any, ...]],
    default: str | None,
    key: str,
    category: Any,
    expected: list[str],
) -> None:
    router = router_for(entries, strategy, default)
    assert ids(router.route_to_handlers(key, category)) == expected
    assert ids(router.route_to_handlers(key, category)) == expected  # stable on repeat


def test_plain_string_category_is_accepted(router_for: Callable[..., Router]) -> None:
    router = router_for([("K", "a"), ("K", "c")], default="default-evt")
    assert ids(router.route_to_handlers("K", "command")) == ["c"]  # type: ignore[arg-type]
    assert ids(router.route_to_handlers("zzz", "event")) == ["default-evt"]  # type: ignore[arg-type]


def test_route_returns_new_list_each_call(router_for: Callable[..., Router]) -> None:
    router = router_for([("K", "a"), ("K", "b")])
    first = router.route_to_handlers("K", EVT)
    first.clear()
    second = router.route_to_handlers("K", EVT)
    assert ids(second) == ["a", "b"]
    assert second is not router.route_to_handlers("K", EVT)


def test_route_returns_registered_objects(
    router_for: Callable[..., Router], handlers: dict[str, Any]
) -> None:
    router = router_for([("K", "a")], default="default-evt")
    assert router.route_to_handlers("K", EVT)[0] is handlers["a"]
    assert router.route_to_handlers("?", EVT)[0] is handlers["default-evt"]


# -- topic patterns --------------------------------------------------------------------------

TOPIC_CASES: list[tuple[list[tuple[Any, ...]], str | None, str, Any, list[str]]] = [
    ([("onex.evt.*", "a")], None, "onex.evt.platform.node.v1", EVT, ["a"]),
    ([("onex.evt.*", "a")], None, "onex.cmd.platform.node.v1", EVT, []),
    ([("onex.*.v1", "a")], None, "onex.evt.a.b.v1", EVT, ["a"]),
    ([("onex.*.v1", "a")], None, "onex.evt.a.b.v2", EVT, []),
    ([("onex.evt.?", "a")], None, "onex.evt.x", EVT, ["a"]),
    ([("onex.evt.?", "a")], None, "onex.evt.xy", EVT, []),
    ([("onex.evt.[ab]", "a")], None, "onex.evt.b", EVT, ["a"]),
    ([("onex.evt.[ab]", "a")], None, "onex.evt.c", EVT, []),
    ([("onex.evt.[!ab]", "a")], None, "onex.evt.c", EVT, ["a"]),
    ([("onex.evt.[!ab]", "a")], None, "onex.evt.a", EVT, []),
    ([("onex.evt.*", "a")], None, "ONEX.evt.x", EVT, []),
    ([("onex.EVT.*", "a")], None, "onex.evt.x", EVT, []),
    ([("evt", "a")], None, "onex.evt.x", EVT, []),
    ([("*evt*", "a")], None, "onex.evt.x", EVT, ["a"]),
    ([("onex.evt.x", "a")], None, "onex.evt.x", EVT, ["a"]),
    ([("onex.evt.x", "a")], None, "onex.evt.xx", EVT, []),
    ([("*", "a")], None, "", EVT, ["a"]),
    ([("*", "a")], None, "anything.at.all", EVT, ["a"]),
    # first match wins, in (priority, position) order
    ([("onex.*", "a"), ("onex.evt.*", "b")], None, "onex.evt.x", EVT, ["a"]),
    ([("onex.evt.*", "b"), ("onex.*", "a")], None, "onex.evt.x", EVT, ["b"]),
    ([("onex.*", "a", 1), ("onex.evt.*", "b", 0)], None, "onex.evt.x", EVT, ["b"]),
    ([("onex.*", "a", 1), ("onex.evt.*", "b", 0)], None, "onex.cmd.x", EVT, ["a"]),
    ([("*.v1", "a"), ("onex.evt.x.v1", "b")], None, "onex.evt.x.v1", EVT, ["a"]),
    ([("onex.evt.x.v1", "b"), ("*.v1", "a")], None, "onex.evt.x.v1", EVT, ["b"]),
    ([("onex.evt.x.v1", "b"), ("*.v1", "a")], None, "onex.evt.y.v1", EVT, ["a"]),
    # all entries sharing the first matching pattern fan out, in order
    (
        [("onex.evt.*", "a"), ("onex.*", "b"), ("onex.evt.*", "d")],
        None,
        "onex.evt.x",
        EVT,
        ["a", "d"],
    ),
    (
        [("onex.evt.*", "a", 2), ("onex.*", "b", 1), ("onex.evt.*", "d", 0)],
        None,
        "onex.evt.x",
        EVT,
        ["d", "a"],
    ),
    (
        [("onex.evt.*", "a", 2), ("onex.*", "b", 1), ("onex.evt.*", "d", 0)],
        None,
        "onex.cmd.x",
        EVT,
        ["b"],
    ),
    ([("onex.evt.*", "a", 2), ("onex.evt.*", "d", 0)], None, "onex.evt.x", EVT, ["d", "a"]),
    # category filter on the first matching pattern; later patterns are not consulted
    ([("onex.*", "c"), ("onex.evt.*", "a")], None, "onex.evt.x", EVT, []),
    ([("onex.*", "c"), ("onex.*", "a")], None, "onex.evt.x", EVT, ["a"]),
    ([("onex.*", "c"), ("onex.*", "a")], None, "onex.evt.x", CMD, ["c"]),
    # fallback only when nothing matched
    ([("onex.evt.*", "a")], "default-evt", "other.topic", EVT, ["default-evt"]),
    ([("onex.evt.*", "c")], "default-evt", "onex.evt.x", EVT, []),
    ([("onex.evt.*", "a")], "default-cmd", "other.topic", EVT, []),
    ([("onex.evt.*", "a")], "default-cmd", "other.topic", CMD, ["default-cmd"]),
]


@pytest.mark.parametrize(("entries", "default", "topic", "category", "expected"), TOPIC_CASES)
def test_topic_pattern(
    router_for: Callable[..., Router],
    entries: list[tuple[Any, ...]],
    default: str | None,
    topic: str,
    category: Any,
    expected: list[str],
) -> None:
    router = router_for(entries, "topic_pattern", default)
    assert ids(router.route_to_handlers(topic, category)) == expected
    assert ids(router.route_to_handlers(topic, category)) == expected  # cached answer agrees


def test_topic_cache_is_bounded(
    handlers: dict[str, Any], make_registry: Factory, make_subcontract: Factory
) -> None:
    class Small(MixinHandlerRouting):
        topic_cache_size = 8

    router = Small()
    router._init_handler_routing(
        make_subcontract([("t.*", "a")], "topic_pattern", "default-evt"),
        make_registry(*handlers.values()),
    )
    table = router.compiled_routing_table
    assert table is not None
    assert table.answer_count(EVT) == 1  # the pattern itself, taken as a topic
    for index in range(100):
        expected = ["a"] if index % 2 else ["default-evt"]
        topic = f"t.{index}" if index % 2 else f"u.{index}"
        assert ids(router.route_to_handlers(topic, EVT)) == expected
        assert 1 < table.answer_count(EVT) <= 1 + 8
    assert ids(router.route_to_handlers("t.*", EVT)) == ["a"]  # the seed survives resets


def test_topic_cache_disabled(
    handlers: dict[str, Any], make_registry: Factory, make_subcontract: Factory
) -> None:
    class Uncached(MixinHandlerRouting):
        topic_cache_size = 0

    router = Uncached()
    router._init_handler_routing(
        make_subcontract([("t.*", "a")], "topic_pattern"), make_registry(*handlers.values())
    )
    table = router.compiled_routing_table
    assert table is not None
    for topic in ("t.x", "t.y", "u.z", "t.x"):
        assert ids(router.route_to_handlers(topic, EVT)) == (["a"] if topic[0] == "t" else [])
    assert table.answer_count(EVT) == 1  # only the seeded pattern: nothing was cached


# -- empty routing ---------------------------------------------------------------------------


@pytest.mark.parametrize("category", list(EnumMessageCategory))
def test_no_routing_section_routes_nothing(
    handlers: dict[str, Any], make_registry: Factory, category: Any
) -> None:
    router = Router()
    router._init_handler_routing(None, make_registry(*handlers.values()))
    assert router.is_routing_initialized
    assert router.route_to_handlers("anything", category) == []
    assert router.get_routing_table() == {}
    assert router.validate_handler_routing() == []
    assert router.routing_strategy is None
    assert router.default_handler_key is None


def test_default_only_subcontract(router_for: Callable[..., Router]) -> None:
    router = router_for([], default="default-evt")
    assert ids(router.route_to_handlers("X", EVT)) == ["default-evt"]
    assert router.get_routing_table() == {}


# -- properties and routing table ------------------------------------------------------------


@pytest.mark.parametrize("strategy", list(EnumHandlerRoutingStrategy))
def test_properties(
    router_for: Callable[..., Router], strategy: EnumHandlerRoutingStrategy
) -> None:
    router = router_for([("K", "a")], strategy.value, "default-evt")
    assert router.routing_strategy is strategy
    assert router.default_handler_key == "default-evt"
    assert router.is_routing_initialized


def test_properties_before_init() -> None:
    router = Router()
    assert router.routing_strategy is None
    assert router.default_handler_key is None
    assert router.is_routing_initialized is False


@pytest.mark.parametrize(
    "name", ["routing_strategy", "default_handler_key", "is_routing_initialized"]
)
def test_properties_are_read_only(router_for: Callable[..., Router], name: str) -> None:
    router = router_for([("K", "a")])
    with pytest.raises(AttributeError):
        setattr(router, name, None)


def test_routing_table_in_order_with_fan_out(router_for: Callable[..., Router]) -> None:
    router = router_for([("K", "a", 1), ("L", "b"), ("K", "d", 0), ("K", "c", 1)])
    assert router.get_routing_table() == {"L": ["b"], "K": ["d", "a", "c"]}
    assert list(router.get_routing_table()) == ["L", "K"]  # first appearance in routing order


def test_routing_table_is_a_deep_copy(router_for: Callable[..., Router]) -> None:
    router = router_for([("K", "a"), ("K", "b")])
    table = router.get_routing_table()
    table["K"].append("zzz")
    table["new"] = ["x"]
    assert router.get_routing_table() == {"K": ["a", "b"]}
    assert router.get_routing_table()["K"] is not router.get_routing_table()["K"]
    assert ids(router.route_to_handlers("K", EVT)) == ["a", "b"]


def test_routing_table_available_before_freeze(
    handlers: dict[str, Any], make_registry: Factory, make_subcontract: Factory
) -> None:
    router = Router()
    router._init_handler_routing(
        make_subcontract([("K", "a"), ("K", "unknown")]),
        make_registry(*handlers.values(), freeze=False),
    )
    assert router.get_routing_table() == {"K": ["a", "unknown"]}


# -- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda router: router.route_to_handlers("K", EVT),
        lambda router: router.validate_handler_routing(),
        lambda router: router.get_routing_table(),
    ],
    ids=["route", "validate", "table"],
)
def test_calls_before_init_raise_invalid_state(call: Callable[[Router], Any]) -> None:
    router = Router()
    with pytest.raises(ModelOnexError) as info:
        call(router)
    assert info.value.error_code is EnumCoreErrorCode.INVALID_STATE
    assert "not initialised" in info.value.message
    assert "_init_handler_routing" in info.value.message
    assert info.value.message.startswith("Router.")


def test_init_with_none_registry(make_subcontract: Factory) -> None:
    router = Router()
    with pytest.raises(ModelOnexError) as info:
        router._init_handler_routing(make_subcontract([("K", "a")]), None)  # type: ignore[arg-type]
    assert info.value.error_code is EnumCoreErrorCode.INVALID_PARAMETER
    assert "registry is None" in info.value.message
    assert not router.is_routing_initialized


def test_init_with_none_registry_and_no_routing() -> None:
    with pytest.raises(ModelOnexError) as info:
        Router()._init_handler_routing(None, None)  # type: ignore[arg-type]
    assert info.value.error_code is EnumCoreErrorCode.INVALID_PARAMETER


@pytest.mark.parametrize("bad_registry", [object(), {"a": 1}, "registry"])
def test_init_with_non_registry(bad_registry: Any) -> None:
    with pytest.raises(ModelOnexError) as info:
        Router()._init_handler_routing(None, bad_registry)
    assert info.value.error_code is EnumCoreErrorCode.INVALID_PARAMETER
    assert "not a handler registry" in info.value.message


@pytest.mark.parametrize("bad_routing", [{"handlers": []}, "routing", 3])
def test_init_with_non_subcontract(bad_routing: Any, make_registry: Factory) -> None:
    with pytest.raises(ModelOnexError) as info:
        Router()._init_handler_routing(bad_routing, make_registry())
    assert info.value.error_code is EnumCoreErrorCode.INVALID_PARAMETER
    assert "expected ModelHandlerRoutingSubcontract" in info.value.message


def test_unknown_keys_fail_fast_listing_every_problem(
    handlers: dict[str, Any], make_registry: Factory, make_subcontract: Factory
) -> None:
    routing = make_subcontract(
        [("K", "a"), ("K", "ghost-1"), ("L", "c", 0, "event"), ("M", "ghost-2")],
        default="ghost-default",
    )
    router = Router()
    with pytest.raises(ModelOnexError) as info:
        router._init_handler_routing(routing, make_registry(*handlers.values()))
    error = info.value
    assert error.error_code is EnumCoreErrorCode.CONTRACT_VALIDATION_ERROR
    assert "(4 problems)" in error.message
    problems = list(error.context["problems"])
    assert len(problems) == 4
    assert problems[0].startswith(
        "handlers[1] (routing_key 'K', handler_key 'ghost-1'): no handler"
    )
    assert problems[1].startswith("handlers[2] (routing_key 'L', handler_key 'c'): declares")
    assert "message_category 'event'" in problems[1]
    assert "serves 'command'" in problems[1]
    assert problems[2].startswith("handlers[3] (routing_key 'M', handler_key 'ghost-2')")
    assert problems[3].startswith("default_handler (handler_key 'ghost-default')")
    for problem in problems:
        assert problem in error.message
    assert "registered: a, b, c, d, default-cmd, default-evt, i" in problems[0]
    kinds = [detail["kind"] for detail in error.context["details"]]
    assert kinds == ["unknown_handler", "category_mismatch", "unknown_handler", "unknown_handler"]
    assert error.context["details"][3]["routing_key"] is None
    assert not router.is_routing_initialized


def test_single_problem_message_is_singular(
    handlers: dict[str, Any], make_registry: Factory, make_subcontract: Factory
) -> None:
    with pytest.raises(ModelOnexError) as info:
        Router()._init_handler_routing(
            make_subcontract([("K", "ghost")]), make_registry(*handlers.values())
        )
    assert "(1 problem)" in info.value.message


@pytest.mark.parametrize("declared", ["event", "command", "intent"])
def test_category_declaration(
    handlers: dict[str, Any], make_registry: Factory, make_subcontract: Factory, declared: str
) -> None:
    routing = make_subcontract([("K", "a", 0, declared)])
    router = Router()
    if declared == "event":
        router._init_handler_routing(routing, make_registry(*handlers.values()))
        assert ids(router.route_to_handlers("K", EVT)) == ["a"]
    else:
        with pytest.raises(ModelOnexError) as info:
            router._init_handler_routing(routing, make_registry(*handlers.values()))
        assert info.value.error_code is EnumCoreErrorCode.CONTRACT_VALIDATION_ERROR
        assert f"declares message_category {declared!r}" in info.value.message


@pytest.mark.parametrize("call", ["route", "validate"])
def test_unfrozen_registry_raises_invalid_state(
    handlers: dict[str, Any], make_registry: Factory, make_subcontract: Factory, call: str
) -> None:
    router = Router()
    router._init_handler_routing(
        make_subcontract([("K", "a")]), make_registry(*handlers.values(), freeze=False)
    )
    assert router.is_routing_initialized
    method: Callable[[], object] = router.validate_handler_routing
    if call == "route":
        method = lambda: router.route_to_handlers("K", EVT)  # noqa: E731
    with pytest.raises(ModelOnexError) as info:
        method()
    assert info.value.error_code is EnumCoreErrorCode.INVALID_STATE
    assert "registry is not frozen; call freeze() after registering handlers" in info.value.message


def test_deferred_resolution_after_freeze(
    make_handler: Factory, make_registry: Factory, make_subcontract: Factory
) -> None:
    registry = make_registry(freeze=False)
    router = Router()
    router._init_handler_routing(make_subcontract([("K", "late")], default="late"), registry)
    registry.register_handler(make_handler("late"))
    registry.freeze()
    assert ids(router.route_to_handlers("K", EVT)) == ["late"]
    assert ids(router.route_to_handlers("X", EVT)) == ["late"]
    assert router.compiled_routing_table is not None


@pytest.mark.parametrize("strategy", ["payload_type_match", "operation_match", "topic_pattern"])
def test_first_route_after_deferred_resolution_hits(
    make_handler: Factory, make_registry: Factory, make_subcontract: Factory, strategy: str
) -> None:
    registry = make_registry(make_handler("a"), make_handler("fallback"), freeze=False)
    router = Router()
    router._init_handler_routing(make_subcontract([("K", "a")], strategy, "fallback"), registry)
    registry.freeze()
    assert ids(router.route_to_handlers("K", EVT)) == ["a"]
    assert ids(router.route_to_handlers("other", EVT)) == ["fallback"]


@pytest.mark.parametrize("call", ["route", "validate"])
def test_deferred_resolution_reports_problems(
    make_handler: Factory, make_registry: Factory, make_subcontract: Factory, call: str
) -> None:
    registry = make_registry(make_handler("a"), freeze=False)
    router = Router()
    router._init_handler_routing(
        make_subcontract([("K", "a", 0, "command"), ("L", "ghost")], default="ghost-d"), registry
    )
    registry.freeze()
    if call == "validate":
        problems = router.validate_handler_routing()
        assert len(problems) == 3
        assert "handler_key 'a'" in problems[0]
        assert "handler_key 'ghost'" in problems[1]
        assert problems[2].startswith("default_handler")
        assert router.compiled_routing_table is None
    for _ in range(2):  # the error repeats: a broken routing never half-works
        with pytest.raises(ModelOnexError) as info:
            router.route_to_handlers("K", EVT)
        assert info.value.error_code is EnumCoreErrorCode.CONTRACT_VALIDATION_ERROR
        assert len(info.value.context["problems"]) == 3
        assert "Router.route_to_handlers" in info.value.message


def test_validate_on_sound_routing_returns_empty(router_for: Callable[..., Router]) -> None:
    router = router_for([("K", "a")], default="default-evt")
    assert router.validate_handler_routing() == []


def test_validate_resolves_deferred_routing(
    make_handler: Factory, make_registry: Factory, make_subcontract: Factory
) -> None:
    registry = make_registry(make_handler("a"), freeze=False)
    router = Router()
    router._init_handler_routing(make_subcontract([("K", "a")]), registry)
    registry.freeze()
    assert router.compiled_routing_table is None
    assert router.validate_handler_routing() == []
    assert router.compiled_routing_table is not None


@pytest.mark.parametrize("bad_key", [None, 3, b"K", ("K",)])
def test_non_string_routing_key(router_for: Callable[..., Router], bad_key: Any) -> None:
    router = router_for([("K", "a")])
    with pytest.raises(ModelOnexError) as info:
        router.route_to_handlers(bad_key, EVT)
    assert info.value.error_code is EnumCoreErrorCode.INVALID_PARAMETER
    assert "routing_key" in info.value.message


@pytest.mark.parametrize("bad_category", ["evt", None, 1, ["event"]])
@pytest.mark.parametrize("strategy", ["payload_type_match", "topic_pattern"])
def test_unknown_category(
    router_for: Callable[..., Router], bad_category: Any, strategy: str
) -> None:
    router = router_for([("K", "a")], strategy)
    with pytest.raises(ModelOnexError) as info:
        router.route_to_handlers("K", bad_category)
    assert info.value.error_code is EnumCoreErrorCode.INVALID_PARAMETER
    assert "category" in info.value.message


def test_non_string_topic_with_topic_strategy(router_for: Callable[..., Router]) -> None:
    router = router_for([("t.*", "a")], "topic_pattern")
    with pytest.raises(ModelOnexError) as info:
        router.route_to_handlers(None, EVT)  # type: ignore[arg-type]
    assert info.value.error_code is EnumCoreErrorCode.INVALID_PARAMETER


# -- re-initialisation -----------------------------------------------------------------------


def test_reinit_replaces_routing(
    handlers: dict[str, Any], make_registry: Factory, make_subcontract: Factory
) -> None:
    registry = make_registry(*handlers.values())
    router = Router()
    router._init_handler_routing(make_subcontract([("K", "a")], default="default-evt"), registry)
    assert ids(router.route_to_handlers("K", EVT)) == ["a"]
    router._init_handler_routing(make_subcontract([("K", "b"), ("L", "d")]), registry)
    assert ids(router.route_to_handlers("K", EVT)) == ["b"]
    assert ids(router.route_to_handlers("L", EVT)) == ["d"]
    assert router.route_to_handlers("X", EVT) == []
    assert router.default_handler_key is None
    assert router.get_routing_table() == {"K": ["b"], "L": ["d"]}


def test_reinit_topic_cache_does_not_leak(
    handlers: dict[str, Any], make_registry: Factory, make_subcontract: Factory
) -> None:
    registry = make_registry(*handlers.values())
    router = Router()
    router._init_handler_routing(make_subcontract([("onex.*", "a")], "topic_pattern"), registry)
    topics = [f"onex.evt.t{index}" for index in range(50)]
    for topic in topics:
        assert ids(router.route_to_handlers(topic, EVT)) == ["a"]
    router._init_handler_routing(
        make_subcontract([("onex.evt.t1*", "b"), ("onex.*", "d")], "topic_pattern"), registry
    )
    for topic in topics:
        expected = ["b"] if topic.startswith("onex.evt.t1") else ["d"]
        assert ids(router.route_to_handlers(topic, EVT)) == expected


def test_reinit_strategy_change(
    handlers: dict[str, Any], make_registry: Factory, make_subcontract: Factory
) -> None:
    registry = make_registry(*handlers.values())
    router = Router()
    router._init_handler_routing(make_subcontract([("t.*", "a")], "topic_pattern"), registry)
    assert ids(router.route_to_handlers("t.x", EVT)) == ["a"]
    router._init_handler_routing(make_subcontract([("t.*", "b")], "payload_type_match"), registry)
    assert router.route_to_handlers("t.x", EVT) == []
    assert ids(router.route_to_handlers("t.*", EVT)) == ["b"]
    assert router.routing_strategy is EnumHandlerRoutingStrategy.PAYLOAD_TYPE_MATCH


def test_failed_reinit_keeps_previous_routing(
    handlers: dict[str, Any], make_registry: Factory, make_subcontract: Factory
) -> None:
    registry = make_registry(*handlers.values())
    router = Router()
    router._init_handler_routing(make_subcontract([("K", "a")]), registry)
    with pytest.raises(ModelOnexError):
        router._init_handler_routing(make_subcontract([("K", "ghost")]), registry)
    assert ids(router.route_to_handlers("K", EVT)) == ["a"]
    assert router.get_routing_table() == {"K": ["a"]}


def test_reinit_to_empty_routing(
    handlers: dict[str, Any], make_registry: Factory, make_subcontract: Factory
) -> None:
    registry = make_registry(*handlers.values())
    router = Router()
    router._init_handler_routing(make_subcontract([("K", "a")]), registry)
    router._init_handler_routing(None, registry)
    assert router.route_to_handlers("K", EVT) == []
    assert router.get_routing_table() == {}


def test_reinit_with_new_registry(
    make_handler: Factory, make_registry: Factory, make_subcontract: Factory
) -> None:
    first = make_handler("h")
    second = make_handler("h")
    router = Router()
    routing = make_subcontract([("K", "h")])
    router._init_handler_routing(routing, make_registry(first))
    assert router.route_to_handlers("K", EVT)[0] is first
    router._init_handler_routing(routing, make_registry(second))
    assert router.route_to_handlers("K", EVT)[0] is second


def test_two_routers_are_independent(
    handlers: dict[str, Any], make_registry: Factory, make_subcontract: Factory
) -> None:
    registry = make_registry(*handlers.values())
    one, two = Router(), Router()
    one._init_handler_routing(make_subcontract([("K", "a")]), registry)
    two._init_handler_routing(make_subcontract([("K", "b")]), registry)
    assert ids(one.route_to_handlers("K", EVT)) == ["a"]
    assert ids(two.route_to_handlers("K", EVT)) == ["b"]
    assert not Router().is_routing_initialized


def test_route_does_not_touch_registry(
    handlers: dict[str, Any], make_subcontract: Factory, make_registry: Factory
) -> None:
    class CountingRegistry:
        def __init__(self, inner: Any) -> None:
            self.inner = inner
            self.calls = 0

        @property
        def is_frozen(self) -> bool:
            return bool(self.inner.is_frozen)

        @property
        def handler_count(self) -> int:
            return int(self.inner.handler_count)

        def get_handler_by_id(self, handler_id: str) -> Any:
            self.calls += 1
            return self.inner.get_handler_by_id(handler_id)

        def get_handlers(self, category: Any = None, message_type: Any = None) -> Any:
            self.calls += 1
            return self.inner.get_handlers(category, message_type)

    for strategy in ("payload_type_match", "topic_pattern"):
        registry = CountingRegistry(make_registry(*handlers.values()))
        router = Router()
        router._init_handler_routing(
            make_subcontract([("K*", "a"), ("L", "b")], strategy, "default-evt"), registry
        )
        before = registry.calls
        for key in ("K*", "L", "Kx", "zz", "L") * 20:
            router.route_to_handlers(key, EVT)
        assert registry.calls == before


@pytest.mark.parametrize("strategy", EXACT_STRATEGIES)
def test_exact_strategies_store_nothing_for_unknown_keys(
    handlers: dict[str, Any], make_registry: Factory, make_subcontract: Factory, strategy: str
) -> None:
    router = Router()
    router._init_handler_routing(
        make_subcontract([("K", "a"), ("L", "b")], strategy, "default-evt"),
        make_registry(*handlers.values()),
    )
    table = router.compiled_routing_table
    assert table is not None
    for index in range(50):
        assert ids(router.route_to_handlers(f"unknown-{index}", EVT)) == ["default-evt"]
        assert router.route_to_handlers(f"unknown-{index}", CMD) == []
        assert ids(router.route_to_handlers("K", EVT)) == ["a"]
        assert ids(router.route_to_handlers("L", EVT)) == ["b"]
    assert table.answer_count(EVT) == table.answer_count(CMD) == 2
