"""NodeEffect: routing by operation, ordered effects, errors."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import BaseModel

from omnibase_core.enums import (
    EnumCoreErrorCode,
    EnumHandlerRoutingStrategy,
    EnumMessageCategory,
    EnumNodeKind,
)
from omnibase_core.models.container import ModelONEXContainer
from omnibase_core.models.contracts.subcontracts import ModelHandlerRoutingSubcontract
from omnibase_core.models.dispatch import ModelHandlerOutput
from omnibase_core.models.errors import ModelOnexError
from omnibase_core.models.events import ModelEventEnvelope
from omnibase_core.nodes import NodeEffect
from omnibase_core.services import ServiceHandlerRegistry

CMD, INT = EnumMessageCategory.COMMAND, EnumMessageCategory.INTENT
Factory = Callable[..., Any]


class ModelWrite(BaseModel):
    key: str = "k"


class Contract(BaseModel):
    handler_routing: ModelHandlerRoutingSubcontract | None = None


class EffectHandler:
    def __init__(
        self,
        handler_id: str,
        log: list[str],
        category: EnumMessageCategory = CMD,
        fail: Exception | None = None,
    ) -> None:
        self.handler_id = handler_id
        self.category = category
        self.node_kind = EnumNodeKind.EFFECT
        self.message_types = {"ModelWrite"}
        self._log = log
        self._fail = fail

    async def handle(self, envelope: ModelEventEnvelope[Any]) -> ModelHandlerOutput:
        self._log.append(f"{self.handler_id}:{envelope.operation}")
        if self._fail is not None:
            raise self._fail
        return ModelHandlerOutput(
            handler_id=self.handler_id, input_envelope_id=envelope.envelope_id
        )


def node_with(routing: ModelHandlerRoutingSubcontract | None, *handlers: Any) -> NodeEffect:
    registry = ServiceHandlerRegistry()
    for handler in handlers:
        registry.register_handler(handler)
    registry.freeze()
    container = ModelONEXContainer()
    container.register_service("ProtocolHandlerRegistry", registry)
    return NodeEffect(container, Contract(handler_routing=routing))


def message(operation: str | None, category: EnumMessageCategory = CMD) -> ModelEventEnvelope[Any]:
    return ModelEventEnvelope[Any](payload=ModelWrite(), category=category, operation=operation)


@pytest.fixture
def log() -> list[str]:
    return []


@pytest.mark.parametrize(
    ("operation", "category", "expected"),
    [
        ("db.write", CMD, ["write-1", "write-2"]),
        ("db.delete", CMD, ["delete"]),
        ("db.write", INT, ["audit"]),
        ("db.unknown", CMD, ["fallback"]),
        ("db.unknown", INT, []),
        ("DB.WRITE", CMD, ["fallback"]),
    ],
)
def test_routes_by_operation(
    log: list[str], make_subcontract: Factory, operation: str, category: Any, expected: list[str]
) -> None:
    routing = make_subcontract(
        [
            ("db.write", "write-2", 5),
            ("db.write", "write-1", 0),
            ("db.write", "audit"),
            ("db.delete", "delete"),
        ],
        "operation_match",
        "fallback",
    )
    handlers = [
        EffectHandler("write-1", log),
        EffectHandler("write-2", log),
        EffectHandler("audit", log, INT),
        EffectHandler("delete", log),
        EffectHandler("fallback", log),
    ]
    node = node_with(routing, *handlers)
    assert node.routing_strategy is EnumHandlerRoutingStrategy.OPERATION_MATCH
    outputs = asyncio.run(node.process(message(operation, category)))
    assert [o.handler_id for o in outputs] == expected
    assert log == [f"{h}:{operation}" for h in expected]


@pytest.mark.parametrize("operation", [None, ""])
def test_missing_operation_is_invalid_parameter(
    log: list[str], make_subcontract: Factory, operation: str | None
) -> None:
    node = node_with(make_subcontract([("op", "h")], "operation_match"), EffectHandler("h", log))
    envelope = message(operation)
    with pytest.raises(ModelOnexError) as info:
        asyncio.run(node.process(envelope))
    error = info.value
    assert error.error_code is EnumCoreErrorCode.INVALID_PARAMETER
    assert "has no operation" in error.message
    assert str(envelope.envelope_id) in error.message
    assert "set envelope.operation" in error.message
    assert log == []


def test_missing_operation_without_contract_is_invalid_parameter() -> None:
    node = NodeEffect(ModelONEXContainer())
    with pytest.raises(ModelOnexError) as info:
        asyncio.run(node.process(message(None)))
    assert info.value.error_code is EnumCoreErrorCode.INVALID_PARAMETER


def test_no_routing_section_returns_no_outputs() -> None:
    node = NodeEffect(ModelONEXContainer(), Contract())
    assert asyncio.run(node.process(message("anything"))) == []


def test_effect_failure_stops_later_effects(log: list[str], make_subcontract: Factory) -> None:
    error = RuntimeError("disk full")
    routing = make_subcontract([("op", "one"), ("op", "two"), ("op", "three")], "operation_match")
    node = node_with(
        routing,
        EffectHandler("one", log),
        EffectHandler("two", log, fail=error),
        EffectHandler("three", log),
    )
    envelope = message("op")
    with pytest.raises(ModelOnexError) as info:
        asyncio.run(node.process(envelope))
    assert info.value.error_code is EnumCoreErrorCode.HANDLER_EXECUTION_ERROR
    assert info.value.__cause__ is error
    assert "NodeEffect: handler 'two'" in info.value.message
    assert str(envelope.envelope_id) in info.value.message
    assert log == ["one:op", "two:op"]


def test_payload_type_contract_on_effect_routes_by_payload_type(
    log: list[str], make_subcontract: Factory
) -> None:
    node = node_with(make_subcontract([("ModelWrite", "h")]), EffectHandler("h", log))
    outputs = asyncio.run(node.process(message(None)))
    assert [o.handler_id for o in outputs] == ["h"]
