"""ModelHandlerRoutingEntry: both shapes, normalisation, strictness and field validation."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from omnibase_core.enums import EnumMessageCategory
from omnibase_core.models.contracts.subcontracts import (
    ModelClassReference,
    ModelHandlerRoutingEntry,
)

HANDLER = {"name": "HandlerPut", "module": "shop.handlers.handler_put"}


def test_entry_strips_keys_and_defaults() -> None:
    entry = ModelHandlerRoutingEntry(routing_key="  K ", handler_key=" h ")
    assert (entry.routing_key, entry.handler_key, entry.priority) == ("K", "h", 0)
    assert entry.message_category is None
    assert entry.output_events == ()
    assert entry.shape == "canonical"
    assert entry.routing_key_field == ("routing_key",)
    assert entry.handler_key_field == ("handler_key",)


@pytest.mark.parametrize(
    "data",
    [
        {"routing_key": "", "handler_key": "h"},
        {"routing_key": "  ", "handler_key": "h"},
        {"routing_key": "K", "handler_key": ""},
        {"routing_key": "K", "handler_key": "h", "priority": 1001},
        {"routing_key": "K", "handler_key": "h", "priority": -1001},
        {"routing_key": "K", "handler_key": "h", "priority": "1"},
        {"routing_key": "K", "handler_key": "h", "message_category": "evt"},
        {"routing_key": "K", "handler_kye": "h"},
        {"routing_key": "K"},
        {"handler_key": "h"},
        {},
        {"routing_key": "K", "handler_key": "h", "direct_handler": "yes"},
        {"routing_key": "K", "handler_key": "h", "description": 5},
    ],
)
def test_entry_rejects(data: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        ModelHandlerRoutingEntry.model_validate(data)


def test_entry_unknown_field_is_named() -> None:
    with pytest.raises(ValidationError, match="handler_kye"):
        ModelHandlerRoutingEntry.model_validate(
            {"routing_key": "K", "handler_key": "h", "handler_kye": "x"}
        )


@pytest.mark.parametrize("spelling", ["EVENT", "event", " Event "])
def test_category_is_read_in_any_case(spelling: str) -> None:
    entry = ModelHandlerRoutingEntry(
        routing_key="K",
        handler_key="h",
        message_category=spelling,  # type: ignore[arg-type]
    )
    assert entry.message_category is EnumMessageCategory.EVENT


@pytest.mark.parametrize(
    ("strategy", "extra", "key", "field"),
    [
        (
            "payload_type_match",
            {"event_model": {"name": "ModelPut", "module": "m"}},
            "ModelPut",
            ("event_model", "name"),
        ),
        ("payload_type_match", {"payload_type": "ModelPut"}, "ModelPut", ("payload_type",)),
        (
            "payload_type_match",
            {"event_model": {"name": "ModelPut", "module": "m"}, "payload_type": "ModelPut"},
            "ModelPut",
            ("event_model", "name"),
        ),
        ("operation_match", {"operation": "kv.put"}, "kv.put", ("operation",)),
        ("topic_pattern", {"topic": "onex.evt.*.v1"}, "onex.evt.*.v1", ("topic",)),
        ("topic_pattern", {"event_type": "onex.evt.put.v1"}, "onex.evt.put.v1", ("event_type",)),
        (
            "topic_pattern",
            {"topic": "onex.evt.put.v1", "event_type": "put.done"},
            "onex.evt.put.v1",
            ("topic",),
        ),
    ],
)
def test_live_entry_normalises_by_strategy(
    strategy: str, extra: dict[str, Any], key: str, field: tuple[str, ...]
) -> None:
    entry = ModelHandlerRoutingEntry.model_validate(
        {"handler": HANDLER, **extra}, context={"routing_strategy": strategy}
    )
    assert (entry.routing_key, entry.handler_key) == (key, "HandlerPut")
    assert entry.routing_key_field == field
    assert entry.handler_key_field == ("handler", "name")
    assert entry.shape == "live"
    assert entry.handler == ModelClassReference(**HANDLER)


def test_live_entry_alone_infers_its_strategy_from_its_one_key() -> None:
    entry = ModelHandlerRoutingEntry.model_validate({"handler": HANDLER, "operation": "kv.put"})
    assert entry.routing_key == "kv.put"
    with pytest.raises(ValidationError, match="cannot tell which field is the routing key"):
        ModelHandlerRoutingEntry.model_validate(
            {"handler": HANDLER, "operation": "kv.put", "topic": "t"}
        )


@pytest.mark.parametrize(
    ("strategy", "data", "fragment"),
    [
        ("payload_type_match", {"handler": HANDLER, "operation": "x"}, "routes by event_model"),
        ("operation_match", {"handler": HANDLER, "topic": "t"}, "routes by operation"),
        ("topic_pattern", {"handler": HANDLER, "operation": "x"}, "routes by topic or event_type"),
        ("operation_match", {"operation": "x"}, "names its handler class"),
        (
            "operation_match",
            {"handler": HANDLER, "operation": "x", "routing_key": "x"},
            "mixes the canonical shape (routing_key) with the live shape (handler, operation)",
        ),
        (
            "operation_match",
            {"routing_key": "x", "handler_key": "h", "operation": "x"},
            "mixes the canonical shape",
        ),
        (
            "payload_type_match",
            {"handler": HANDLER, "event_model": {"name": "A", "module": "m"}, "payload_type": "B"},
            "payload_type 'B' differs from event_model.name 'A'",
        ),
        ("operation_match", {"handler": {"name": "Handler-Put", "module": "m"}}, "class name"),
        ("operation_match", {"handler": {"name": "H", "module": "a..b"}}, "module path"),
        ("operation_match", {"handler": {"name": "H"}, "operation": "x"}, "module"),
        ("operation_match", {"handler": "HandlerPut", "operation": "x"}, "handler"),
        ("operation_match", {"handlr": HANDLER, "operation": "x"}, "handlr"),
    ],
)
def test_bad_live_entries_are_rejected(strategy: str, data: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ValidationError, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        ModelHandlerRoutingEntry.model_validate(data, context={"routing_strategy": strategy})


def test_descriptive_fields_are_kept() -> None:
    data: dict[str, Any] = {
        "handler": HANDLER,
        "operation": "kv.put",
        "description": "writes a key",
        "handler_type": "kv",
        "supported_operations": ["kv.put", "kv.put_many"],
        "input_model": {"name": "ModelPut", "module": "shop.models", "description": "in"},
        "output_model": {"name": "ModelPutResult", "module": "shop.models"},
        "output_fields": ["stored"],
        "output_events": ["ModelStored"],
        "backend": "postgres",
        "direct_handler": True,
        "dynamic_backend_field": "target_backend",
        "state_decision_matrix": [{"current_state": None, "action": "put"}],
        "timeout_evaluation": {"uses_injected_now": True},
        "state_transition": {"valid_from_states": ["A"], "target_state": "B"},
    }
    entry = ModelHandlerRoutingEntry.model_validate(data)
    assert entry.model_dump(exclude_defaults=True, mode="json") == data
