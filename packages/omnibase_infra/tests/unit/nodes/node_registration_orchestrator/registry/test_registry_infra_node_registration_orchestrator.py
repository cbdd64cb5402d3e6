"""RegistryInfraNodeRegistrationOrchestrator: the frozen registry of the three handlers."""

from __future__ import annotations

from typing import Any, cast

import pytest

from omnibase_core.enums import EnumCoreErrorCode, EnumMessageCategory, EnumNodeKind
from omnibase_core.models.errors import ModelOnexError
from omnibase_core.protocols.protocol_message_handler import ProtocolMessageHandler
from omnibase_infra.nodes.node_registration_orchestrator.handlers import (
    HandlerNodeHeartbeat,
    HandlerNodeIntrospected,
    HandlerRuntimeTick,
)
from omnibase_infra.nodes.node_registration_orchestrator.models import ModelRegistrationSettings
from omnibase_infra.nodes.node_registration_orchestrator.registry import (
    RegistryInfraNodeRegistrationOrchestrator,
)

EXPECTED: dict[str, tuple[type[Any], EnumMessageCategory, set[str]]] = {
    "handler-node-introspected": (
        HandlerNodeIntrospected,
        EnumMessageCategory.EVENT,
        {"ModelNodeIntrospectionEvent"},
    ),
    "handler-node-heartbeat": (
        HandlerNodeHeartbeat,
        EnumMessageCategory.EVENT,
        {"ModelNodeHeartbeatEvent"},
    ),
    "handler-runtime-tick": (HandlerRuntimeTick, EnumMessageCategory.INTENT, {"ModelRuntimeTick"}),
}


def test_registry_is_frozen_with_exactly_the_three_handlers() -> None:
    registry = RegistryInfraNodeRegistrationOrchestrator.create_registry()
    assert registry.is_frozen
    assert registry.handler_count == 3
    assert [handler.handler_id for handler in registry.get_handlers()] == list(EXPECTED)


@pytest.mark.parametrize("handler_id", list(EXPECTED))
def test_handler_kind_category_and_message_types(handler_id: str) -> None:
    handler_type, category, message_types = EXPECTED[handler_id]
    registry = RegistryInfraNodeRegistrationOrchestrator.create_registry()
    handler = registry.get_handler_by_id(handler_id)
    assert isinstance(handler, handler_type)
    assert handler.category is category
    assert handler.node_kind is EnumNodeKind.ORCHESTRATOR
    assert handler.message_types == message_types
    assert registry.get_handlers(category, next(iter(message_types))) == [handler]


def test_registering_after_create_raises_invalid_state() -> None:
    registry = RegistryInfraNodeRegistrationOrchestrator.create_registry()
    # the registry checks a transaction handler's shape; it never calls handle() itself
    extra = cast(ProtocolMessageHandler, HandlerNodeHeartbeat(ModelRegistrationSettings()))
    with pytest.raises(ModelOnexError) as info:
        registry.register_handler(extra)
    assert info.value.error_code is EnumCoreErrorCode.INVALID_STATE
    assert "frozen" in info.value.message
    assert info.value.context == {"handler_id": "handler-node-heartbeat"}
    with pytest.raises(ModelOnexError) as unregister:
        registry.unregister_handler("handler-node-heartbeat")
    assert unregister.value.error_code is EnumCoreErrorCode.INVALID_STATE
    assert registry.handler_count == 3
