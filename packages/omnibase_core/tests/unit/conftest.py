"""Fixtures shared by the unit tests: a minimal real handler, registries and subcontracts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from omnibase_core.enums import EnumMessageCategory, EnumNodeKind
from omnibase_core.models.contracts.subcontracts import ModelHandlerRoutingSubcontract
from omnibase_core.models.dispatch import ModelHandlerOutput
from omnibase_core.models.events import ModelEventEnvelope
from omnibase_core.services import ServiceHandlerRegistry


class FakeHandler:
    """A handler with plain attributes; ``handle`` echoes the envelope id."""

    def __init__(
        self,
        handler_id: str,
        category: EnumMessageCategory = EnumMessageCategory.EVENT,
        node_kind: EnumNodeKind = EnumNodeKind.ORCHESTRATOR,
        message_types: set[str] | None = None,
    ) -> None:
        self.handler_id = handler_id
        self.category = category
        self.node_kind = node_kind
        self.message_types = message_types if message_types is not None else set()

    async def handle(self, envelope: ModelEventEnvelope[Any]) -> ModelHandlerOutput:
        return ModelHandlerOutput(
            handler_id=self.handler_id, input_envelope_id=envelope.envelope_id
        )

    def __repr__(self) -> str:
        return f"FakeHandler({self.handler_id!r})"


def build_registry(*handlers: Any, freeze: bool = True) -> ServiceHandlerRegistry:
    registry = ServiceHandlerRegistry()
    for handler in handlers:
        registry.register_handler(handler)
    if freeze:
        registry.freeze()
    return registry


def build_subcontract(
    entries: list[tuple[Any, ...]],
    strategy: str = "payload_type_match",
    default: str | None = None,
) -> ModelHandlerRoutingSubcontract:
    """Entries as ``(routing_key, handler_key[, priority[, message_category]])``."""
    handlers = []
    for entry in entries:
        item: dict[str, Any] = {"routing_key": entry[0], "handler_key": entry[1]}
        if len(entry) > 2:
            item["priority"] = entry[2]
        if len(entry) > 3:
            item["message_category"] = entry[3]
        handlers.append(item)
    return ModelHandlerRoutingSubcontract.model_validate(
        {
            "version": "1.0.0",
            "routing_strategy": strategy,
            "handlers": handlers,
            "default_handler": default,
        }
    )


@pytest.fixture
def make_handler() -> Callable[..., FakeHandler]:
    return FakeHandler


@pytest.fixture
def make_registry() -> Callable[..., ServiceHandlerRegistry]:
    return build_registry


@pytest.fixture
def make_subcontract() -> Callable[..., ModelHandlerRoutingSubcontract]:
    return build_subcontract
