"""ModelHandlerRoutingSubcontract: version, entry order, rejected sections, fan-out, the routing
table and the upstream section settings."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from omnibase_core.enums import EnumHandlerExecutionMode, EnumHandlerRoutingStrategy
from omnibase_core.models.contracts.subcontracts import (
    ModelHandlerDependency,
    ModelHandlerRoutingEntry,
    ModelHandlerRoutingSubcontract,
)
from omnibase_core.models.primitives import ModelSemVer

V = {"version": "1.0.0"}


def test_subcontract_defaults_and_order() -> None:
    routing = ModelHandlerRoutingSubcontract.model_validate(
        {
            **V,
            "handlers": [
                {"routing_key": "A", "handler_key": "a", "priority": 2},
                {"routing_key": "B", "handler_key": "b"},
                {"routing_key": "C", "handler_key": "c", "priority": -1},
                {"routing_key": "D", "handler_key": "d"},
            ],
        }
    )
    assert routing.routing_strategy is EnumHandlerRoutingStrategy.PAYLOAD_TYPE_MATCH
    assert routing.version == ModelSemVer(major=1, minor=0, patch=0)
    assert [e.handler_key for e in routing.ordered_entries()] == ["c", "b", "d", "a"]
    assert routing.execution_mode is None
    assert routing.partial_failure_handling is None
    assert routing.handler_dependencies == {}


def test_version_is_required() -> None:
    with pytest.raises(ValidationError, match="version\n  Field required"):
        ModelHandlerRoutingSubcontract.model_validate({"default_handler": "h"})


@pytest.mark.parametrize(
    ("data", "match"),
    [
        ({"handlers": []}, "no handlers and no default_handler"),
        ({}, "no handlers and no default_handler"),
        (
            {
                "handlers": [
                    {"routing_key": "K", "handler_key": "h"},
                    {"routing_key": "K", "handler_key": "h"},
                ]
            },
            "repeats routing_key 'K'",
        ),
        ({"default_handler": "  "}, "default_handler"),
        ({"default_handler": "\u200b\ufeff"}, "default_handler"),
        ({"default_handler": "h", "routing_strategy": "regex"}, "routing_strategy"),
        ({"default_handler": "h", "extra": 1}, "extra"),
        ({"default_handler": "h", "execution_mode": "eventually"}, "execution_mode"),
        ({"default_handler": "h", "partial_failure_handling": "yes"}, "partial_failure"),
        ({"default_handler": "h", "max_timeout_seconds": 0}, "max_timeout_seconds"),
        ({"default_handler": "h", "max_timeout_seconds": True}, "max_timeout_seconds"),
        ({"default_handler": "h", "max_timeout_seconds": float("nan")}, "max_timeout"),
        ({"default_handler": "h", "handler_dependencies": {"r": {"protocl": "P"}}}, "protocl"),
    ],
)
def test_subcontract_rejects(data: dict[str, Any], match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        ModelHandlerRoutingSubcontract.model_validate({**V, **data})


def test_subcontract_allows_fan_out_and_default_only() -> None:
    fan_out = ModelHandlerRoutingSubcontract.model_validate(
        {
            **V,
            "handlers": [
                {"routing_key": "K", "handler_key": "a"},
                {"routing_key": "K", "handler_key": "b"},
            ],
        }
    )
    assert len(fan_out.handlers) == 2
    default_only = ModelHandlerRoutingSubcontract(
        version=ModelSemVer.parse("2.0.0"), default_handler=" d "
    )
    assert default_only.default_handler == "d"


def test_build_routing_table_lists_handler_keys_in_routing_order() -> None:
    routing = ModelHandlerRoutingSubcontract.model_validate(
        {
            **V,
            "handlers": [
                {"routing_key": "B", "handler_key": "b1", "priority": 5},
                {"routing_key": "A", "handler_key": "a1"},
                {"routing_key": "B", "handler_key": "b0", "priority": -5},
                {"routing_key": "A", "handler_key": "a2"},
                {"routing_key": "B", "handler_key": "b2", "priority": 5},
            ],
            "default_handler": "fallback",
        }
    )
    table = routing.build_routing_table()
    assert table == {"B": ["b0", "b1", "b2"], "A": ["a1", "a2"]}
    assert list(table) == ["B", "A"]
    table["A"].append("changed")
    assert routing.build_routing_table()["A"] == ["a1", "a2"]


def test_upstream_section_settings_are_typed_in_any_case() -> None:
    routing = ModelHandlerRoutingSubcontract.model_validate(
        {
            **V,
            "routing_strategy": "OPERATION_MATCH",
            "execution_mode": "Parallel",
            "aggregation_strategy": "all_or_partial",
            "partial_failure_handling": True,
            "max_timeout_seconds": 30,
            "handler_dependencies": {
                "projection_reader": {
                    "protocol": "ProtocolProjectionReader",
                    "implementation": "ProjectionReaderRegistration",
                    "module": "shop.projections",
                    "shared": True,
                    "description": "shared reader",
                }
            },
            "handlers": [{"routing_key": "put", "handler_key": "h"}],
        }
    )
    assert routing.routing_strategy is EnumHandlerRoutingStrategy.OPERATION_MATCH
    assert routing.execution_mode is EnumHandlerExecutionMode.PARALLEL
    assert routing.aggregation_strategy == "all_or_partial"
    assert routing.partial_failure_handling is True
    assert routing.max_timeout_seconds == 30.0
    assert routing.handler_dependencies == {
        "projection_reader": ModelHandlerDependency(
            protocol="ProtocolProjectionReader",
            implementation="ProjectionReaderRegistration",
            module="shop.projections",
            shared=True,
            description="shared reader",
        )
    }


def test_entries_follow_the_section_strategy() -> None:
    live = {
        "handler": {"name": "HandlerX", "module": "shop.handlers"},
        "event_model": {"name": "ModelX", "module": "shop.models"},
        "operation": "x.do",
        "topic": "onex.evt.x.v1",
    }
    keys = {
        strategy: ModelHandlerRoutingSubcontract.model_validate(
            {**V, "routing_strategy": strategy, "handlers": [live]}
        ).handlers[0]
        for strategy in ("payload_type_match", "operation_match", "topic_pattern")
    }
    assert {strategy: entry.routing_key for strategy, entry in keys.items()} == {
        "payload_type_match": "ModelX",
        "operation_match": "x.do",
        "topic_pattern": "onex.evt.x.v1",
    }
    assert {entry.handler_key for entry in keys.values()} == {"HandlerX"}
    # an entry object moved into another section is read again under that section's strategy
    moved = ModelHandlerRoutingSubcontract(
        version=ModelSemVer.parse("1.0.0"),
        routing_strategy=EnumHandlerRoutingStrategy.OPERATION_MATCH,
        handlers=(keys["topic_pattern"],),
    )
    assert moved.handlers[0].routing_key == "x.do"
    assert moved.handlers[0].routing_key_field == ("operation",)


def test_live_entries_round_trip_through_model_dump() -> None:
    routing = ModelHandlerRoutingSubcontract.model_validate(
        {
            **V,
            "routing_strategy": "operation_match",
            "handlers": [
                {"operation": "put", "handler": {"name": "HandlerPut", "module": "kv"}},
                {"routing_key": "get", "handler_key": "handler-get"},
            ],
        }
    )
    dumped = routing.model_dump()
    assert "routing_key" not in dumped["handlers"][0]
    assert ModelHandlerRoutingSubcontract.model_validate(dumped) == routing
    assert isinstance(routing.handlers[0], ModelHandlerRoutingEntry)
