"""Fixtures for the contract tests: small real handlers and a registry builder."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from omnibase_core.enums import EnumMessageCategory, EnumNodeKind
from omnibase_core.models.dispatch import ModelHandlerOutput
from omnibase_core.models.events import ModelEventEnvelope
from omnibase_core.services import ServiceHandlerRegistry


class StaticHandler:
    """A handler with fixed attributes; ``handle`` acknowledges the envelope."""

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
        self.message_types = message_types or set()

    async def handle(self, envelope: ModelEventEnvelope[Any]) -> ModelHandlerOutput:
        return ModelHandlerOutput(
            handler_id=self.handler_id, input_envelope_id=envelope.envelope_id
        )


@pytest.fixture
def make_handler() -> type[StaticHandler]:
    return StaticHandler


@pytest.fixture
def make_registry() -> Callable[..., ServiceHandlerRegistry]:
    def build(*handlers: StaticHandler) -> ServiceHandlerRegistry:
        registry = ServiceHandlerRegistry()
        for handler in handlers:
            registry.register_handler(handler)
        registry.freeze()
        return registry

    return build
