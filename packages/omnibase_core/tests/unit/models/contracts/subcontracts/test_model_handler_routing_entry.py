"""ModelHandlerRoutingEntry: key stripping, defaults and field validation."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from omnibase_core.models.contracts.subcontracts import ModelHandlerRoutingEntry


def test_entry_strips_keys_and_defaults() -> None:
    entry = ModelHandlerRoutingEntry(routing_key="  K ", handler_key=" h ")
    assert (entry.routing_key, entry.handler_key, entry.priority) == ("K", "h", 0)
    assert entry.message_category is None
    assert entry.output_events == ()


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
