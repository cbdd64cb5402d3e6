"""ModelHandlerRoutingSubcontract: defaults, entry order, rejected sections and fan-out."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from omnibase_core.enums import EnumHandlerRoutingStrategy
from omnibase_core.models.contracts.subcontracts import ModelHandlerRoutingSubcontract
from omnibase_core.models.primitives import ModelSemVer


def test_subcontract_defaults_and_order() -> None:
    routing = ModelHandlerRoutingSubcontract.model_validate(
        {
            "version": "1.0.0",
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
        ({"default_handler": "h", "routing_strategy": "regex"}, "routing_strategy"),
        ({"default_handler": "h", "extra": 1}, "extra"),
    ],
)
def test_subcontract_rejects(data: dict[str, Any], match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        ModelHandlerRoutingSubcontract.model_validate(data)


def test_subcontract_allows_fan_out_and_default_only() -> None:
    fan_out = ModelHandlerRoutingSubcontract.model_validate(
        {
            "handlers": [
                {"routing_key": "K", "handler_key": "a"},
                {"routing_key": "K", "handler_key": "b"},
            ]
        }
    )
    assert len(fan_out.handlers) == 2
    assert ModelHandlerRoutingSubcontract(default_handler=" d ").default_handler == "d"
