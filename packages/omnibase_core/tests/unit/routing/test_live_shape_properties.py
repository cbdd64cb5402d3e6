"""Property: one routing written in the canonical shape and in the live shape gives the same
routing table and routes every key to the same handler objects.

Both contracts go through YAML and ``load_contract``; the live one names handler classes (the
registry holds one instance of each) and picks, per entry, any of the fields its strategy
reads (``event_model`` or ``payload_type``, ``topic`` or ``event_type``) and either category
spelling.
"""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from omnibase_core.contracts import load_contract_text
from omnibase_core.enums import EnumMessageCategory, EnumNodeKind
from omnibase_core.mixins import MixinHandlerRouting
from omnibase_core.models.contracts.subcontracts import ModelHandlerRoutingSubcontract
from omnibase_core.services import ServiceHandlerRegistry

MODULE = "shop.generated_handlers"
KINDS = {
    EnumMessageCategory.EVENT: EnumNodeKind.ORCHESTRATOR,
    EnumMessageCategory.COMMAND: EnumNodeKind.EFFECT,
    EnumMessageCategory.INTENT: EnumNodeKind.EFFECT,
}


class _Base:
    handler_id = ""
    category = EnumMessageCategory.EVENT
    node_kind = EnumNodeKind.ORCHESTRATOR
    message_types: frozenset[str] = frozenset()

    async def handle(self, envelope: Any) -> Any:  # pragma: no cover - never awaited here
        return None


class _Router(MixinHandlerRouting):
    pass


def _handler_class(index: int, category: EnumMessageCategory, handler_id: str) -> type[_Base]:
    name = f"HandlerGenerated{index}"
    attributes = {
        "__module__": MODULE,
        "__qualname__": name,
        "handler_id": handler_id,
        "category": category,
        "node_kind": KINDS[category],
    }
    return type(name, (_Base,), attributes)


_PIECES = st.sampled_from(["onex", "evt", "cmd", "a", "b", "v1", "*", "?", "[ab]"])
KEYS = {
    "payload_type_match": st.from_regex(r"Model[A-Z][a-z]{0,3}", fullmatch=True),
    "operation_match": st.lists(
        st.sampled_from(["kv", "put", "get", "a"]), min_size=1, max_size=3
    ).map(".".join),
    "topic_pattern": st.lists(_PIECES, min_size=1, max_size=4).map(".".join),
}


@st.composite
def routings(draw: st.DrawFn) -> dict[str, Any]:
    strategy = draw(st.sampled_from(sorted(KEYS)))
    categories = draw(st.lists(st.sampled_from(list(EnumMessageCategory)), min_size=1, max_size=5))
    same_ids = draw(st.booleans())
    classes = [
        _handler_class(index, category, f"HandlerGenerated{index}" if same_ids else f"id-{index}")
        for index, category in enumerate(categories)
    ]
    entries = draw(
        st.lists(
            st.tuples(
                KEYS[strategy],
                st.integers(0, len(classes) - 1),
                st.integers(-3, 3),
                st.sampled_from(["none", "lower", "upper"]),
                st.booleans(),  # which of the strategy's fields the live entry uses
            ),
            max_size=10,
            unique_by=lambda entry: (entry[0], entry[1]),
        )
    )
    default = draw(st.none() | st.integers(0, len(classes) - 1))
    if not entries and default is None:
        default = 0
    probes = draw(st.lists(KEYS[strategy], max_size=5))
    return {
        "strategy": strategy,
        "classes": classes,
        "entries": entries,
        "default": default,
        "probes": probes,
    }


def _category(cls: type[_Base], spelling: str) -> dict[str, str]:
    if spelling == "none":
        return {}
    value = cls.category.value
    return {"message_category": value.upper() if spelling == "upper" else value}


def _canonical(case: dict[str, Any]) -> list[dict[str, Any]]:
    classes = case["classes"]
    return [
        {
            "routing_key": key,
            "handler_key": classes[index].handler_id,
            "priority": priority,
            **_category(classes[index], spelling),
        }
        for key, index, priority, spelling, _ in case["entries"]
    ]


def _live(case: dict[str, Any]) -> list[dict[str, Any]]:
    classes = case["classes"]
    strategy = case["strategy"]
    written = []
    for key, index, priority, spelling, first_field in case["entries"]:
        if strategy == "payload_type_match":
            routed: dict[str, Any] = (
                {"event_model": {"name": key, "module": "shop.models"}}
                if first_field
                else {"payload_type": key}
            )
        elif strategy == "operation_match":
            routed = {"operation": key}
        else:
            routed = {"topic": key} if first_field else {"event_type": key}
        written.append(
            {
                **routed,
                "handler": {"name": classes[index].__name__, "module": MODULE},
                "priority": priority,
                **_category(classes[index], spelling),
            }
        )
    return written


def _contract(
    case: dict[str, Any], handlers: list[dict[str, Any]]
) -> ModelHandlerRoutingSubcontract:
    default = case["default"]
    section: dict[str, Any] = {"routing_strategy": case["strategy"], "handlers": handlers}
    if default is not None:
        section["default_handler"] = case["classes"][default].handler_id
    text = yaml.safe_dump(
        {
            "name": "node_generated",
            "contract_version": "1.2.3",
            "node_type": "ORCHESTRATOR_GENERIC",
            "handler_routing": section,
        },
        sort_keys=False,
    )
    routing = load_contract_text(text).handler_routing
    assert routing is not None
    return routing


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=routings())
def test_both_shapes_give_the_same_table_and_the_same_handlers(case: dict[str, Any]) -> None:
    registry = ServiceHandlerRegistry()
    instances = [cls() for cls in case["classes"]]
    for handler in instances:
        registry.register_handler(handler)
    registry.freeze()
    canonical = _contract(case, _canonical(case))
    live = _contract(case, _live(case))
    assert all(entry.shape == "live" for entry in live.handlers)

    id_of = {type(handler).__name__: handler.handler_id for handler in instances}
    live_table = {
        key: [id_of[name] for name in names] for key, names in live.build_routing_table().items()
    }
    assert live_table == canonical.build_routing_table()
    if all(name == handler_id for name, handler_id in id_of.items()):
        assert live.build_routing_table() == canonical.build_routing_table()

    by_canonical, by_live = _Router(), _Router()
    by_canonical._init_handler_routing(canonical, registry)
    by_live._init_handler_routing(live, registry)
    assert by_live.validate_handler_routing() == []
    keys = [entry[0] for entry in case["entries"]] + case["probes"]
    for key in keys:
        for category in EnumMessageCategory:
            expected = by_canonical.route_to_handlers(key, category)
            got = by_live.route_to_handlers(key, category)
            assert [id(h) for h in got] == [id(h) for h in expected]
