"""Fixtures for the registry tests: a minimal real handler class."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from omnibase_core.enums import EnumMessageCategory, EnumNodeKind
from omnibase_core.models.dispatch import ModelHandlerOutput
from omnibase_core.models.events import ModelEventEnvelope


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


@pytest.fixture
def make_handler() -> Callable[..., FakeHandler]:
    return FakeHandler
