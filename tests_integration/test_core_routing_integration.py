"""Core end to end: a YAML contract -> ServiceHandlerRegistry -> NodeOrchestrator / NodeEffect.

Nothing is faked: contracts are real files read by ``load_contract``, handlers are registered in
a real frozen registry, and messages go through the nodes' ``process()``.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from omnibase_core.contracts import load_contract
from omnibase_core.enums import EnumCoreErrorCode, EnumMessageCategory, EnumNodeKind
from omnibase_core.models.container import ModelONEXContainer
from omnibase_core.models.dispatch import ModelHandlerOutput
from omnibase_core.models.errors import ModelOnexError
from omnibase_core.models.events import ModelEventEnvelope
from omnibase_core.nodes import NodeEffect, NodeOrchestrator
from omnibase_core.services import ServiceHandlerRegistry


class ModelOrderPlaced(BaseModel):
    order_id: str


class ModelOrderCancelled(BaseModel):
    order_id: str


class ModelPaymentCommand(BaseModel):
    amount: int


class RecordingHandler:
    """A real handler: records what it saw and returns an output naming itself."""

    def __init__(
        self,
        handler_id: str,
        category: EnumMessageCategory,
        kind: EnumNodeKind,
        message_types: set[str],
    ) -> None:
        self._handler_id = handler_id
        self._category = category
        self._kind = kind
        self._message_types = message_types
        self.seen: list[Any] = []

    @property
    def handler_id(self) -> str:
        return self._handler_id

    @property
    def category(self) -> EnumMessageCategory:
        return self._category

    @property
    def message_types(self) -> set[str]:
        return self._message_types

    @property
    def node_kind(self) -> EnumNodeKind:
        return self._kind

    async def handle(self, envelope: ModelEventEnvelope[Any]) -> ModelHandlerOutput:
        self.seen.append(envelope.envelope_id)
        return ModelHandlerOutput(
            handler_id=self._handler_id, input_envelope_id=envelope.envelope_id
        )


ORCHESTRATOR_CONTRACT = """\
name: order_orchestrator
contract_version: "1.0.0"
node_type: orchestrator
description: Routes order events.
handler_routing:
  version: {major: 1, minor: 0, patch: 0}
  routing_strategy: payload_type_match
  handlers:
    - routing_key: ModelOrderPlaced
      handler_key: handler-audit
      message_category: event
      priority: 10
    - routing_key: ModelOrderPlaced
      handler_key: handler-order-placed
      message_category: event
      priority: -5
    - routing_key: ModelOrderCancelled
      handler_key: handler-order-cancelled
      message_category: event
"""

EFFECT_CONTRACT = """\
name: payment_effect
contract_version: "1.0.0"
node_type: effect
description: Performs payments.
handler_routing:
  version: "1.0.0"
  routing_strategy: operation_match
  handlers:
    - routing_key: payment.charge
      handler_key: handler-charge
      message_category: command
    - routing_key: payment.refund
      handler_key: handler-refund
      message_category: command
  default_handler: handler-payment-fallback
"""


class OrderOrchestrator(NodeOrchestrator):
    def __init__(self, container: ModelONEXContainer, contract_path: Path) -> None:
        super().__init__(container)
        contract = load_contract(contract_path)
        self._init_handler_routing(
            contract.handler_routing, container.get_service(ServiceHandlerRegistry)
        )


class PaymentEffect(NodeEffect):
    def __init__(self, container: ModelONEXContainer, contract_path: Path) -> None:
        super().__init__(container)
        contract = load_contract(contract_path)
        self._init_handler_routing(
            contract.handler_routing, container.get_service(ServiceHandlerRegistry)
        )


def _container(*handlers: RecordingHandler) -> ModelONEXContainer:
    registry = ServiceHandlerRegistry()
    for handler in handlers:
        registry.register_handler(handler)
    registry.freeze()
    container = ModelONEXContainer()
    container.register_service(ServiceHandlerRegistry, registry)
    return container


def _event(payload: BaseModel, topic: str = "onex.evt.shop.order.v1") -> ModelEventEnvelope[Any]:
    return ModelEventEnvelope[Any](payload=payload, topic=topic, category=EnumMessageCategory.EVENT)


@pytest.fixture
def order_handlers() -> dict[str, RecordingHandler]:
    event, orch = EnumMessageCategory.EVENT, EnumNodeKind.ORCHESTRATOR
    return {
        "placed": RecordingHandler("handler-order-placed", event, orch, {"ModelOrderPlaced"}),
        "audit": RecordingHandler("handler-audit", event, orch, {"ModelOrderPlaced"}),
        "cancelled": RecordingHandler(
            "handler-order-cancelled", event, orch, {"ModelOrderCancelled"}
        ),
    }


@pytest.fixture
def orchestrator_contract(tmp_path: Path) -> Path:
    path = tmp_path / "order_orchestrator.yaml"
    path.write_text(ORCHESTRATOR_CONTRACT)
    return path


def test_contract_routing_section_is_loaded_as_written(orchestrator_contract: Path) -> None:
    routing = load_contract(orchestrator_contract).handler_routing
    assert routing is not None
    assert routing.routing_strategy == "payload_type_match"
    assert [(e.routing_key, e.handler_key, e.priority) for e in routing.handlers] == [
        ("ModelOrderPlaced", "handler-audit", 10),
        ("ModelOrderPlaced", "handler-order-placed", -5),
        ("ModelOrderCancelled", "handler-order-cancelled", 0),
    ]


def test_orchestrator_fans_out_in_priority_order_and_nowhere_else(
    order_handlers: dict[str, RecordingHandler], orchestrator_contract: Path
) -> None:
    node = OrderOrchestrator(_container(*order_handlers.values()), orchestrator_contract)
    placed = _event(ModelOrderPlaced(order_id="o-1"))

    outputs = asyncio.run(node.process(placed))

    assert [o.handler_id for o in outputs] == ["handler-order-placed", "handler-audit"]
    assert order_handlers["placed"].seen == [placed.envelope_id]
    assert order_handlers["audit"].seen == [placed.envelope_id]
    assert order_handlers["cancelled"].seen == []
    assert node.get_routing_table()["ModelOrderPlaced"] == ["handler-order-placed", "handler-audit"]


def test_orchestrator_routes_each_type_to_its_own_handler(
    order_handlers: dict[str, RecordingHandler], orchestrator_contract: Path
) -> None:
    node = OrderOrchestrator(_container(*order_handlers.values()), orchestrator_contract)
    cancelled = _event(ModelOrderCancelled(order_id="o-2"))

    outputs = asyncio.run(node.process(cancelled))

    assert [o.handler_id for o in outputs] == ["handler-order-cancelled"]
    assert order_handlers["placed"].seen == []
    assert order_handlers["audit"].seen == []


def test_orchestrator_has_no_handler_for_an_unknown_payload(
    order_handlers: dict[str, RecordingHandler], orchestrator_contract: Path
) -> None:
    node = OrderOrchestrator(_container(*order_handlers.values()), orchestrator_contract)

    outputs = asyncio.run(node.process(_event(ModelPaymentCommand(amount=3))))

    assert outputs == []
    assert all(not h.seen for h in order_handlers.values())


def test_unregistered_handler_key_stops_construction_naming_the_key(
    order_handlers: dict[str, RecordingHandler], orchestrator_contract: Path
) -> None:
    container = _container(order_handlers["placed"], order_handlers["cancelled"])

    with pytest.raises(ModelOnexError) as caught:
        OrderOrchestrator(container, orchestrator_contract)

    assert "handler-audit" in caught.value.message
    assert "ModelOrderPlaced" in caught.value.message


def test_effect_routes_by_operation_with_default_fallback(tmp_path: Path) -> None:
    path = tmp_path / "payment_effect.yaml"
    path.write_text(EFFECT_CONTRACT)
    command, effect = EnumMessageCategory.COMMAND, EnumNodeKind.EFFECT
    charge = RecordingHandler("handler-charge", command, effect, {"ModelPaymentCommand"})
    refund = RecordingHandler("handler-refund", command, effect, {"ModelPaymentCommand"})
    fallback = RecordingHandler(
        "handler-payment-fallback", command, effect, {"ModelPaymentCommand"}
    )
    node = PaymentEffect(_container(charge, refund, fallback), path)

    def command_envelope(operation: str) -> ModelEventEnvelope[Any]:
        return ModelEventEnvelope[Any](
            payload=ModelPaymentCommand(amount=5),
            topic="onex.cmd.shop.payment.v1",
            category=EnumMessageCategory.COMMAND,
            operation=operation,
        )

    charged = asyncio.run(node.process(command_envelope("payment.charge")))
    unknown = asyncio.run(node.process(command_envelope("payment.audit")))

    assert [o.handler_id for o in charged] == ["handler-charge"]
    assert [o.handler_id for o in unknown] == ["handler-payment-fallback"]
    assert len(charge.seen) == 1
    assert refund.seen == []
    assert len(fallback.seen) == 1


def test_effect_with_category_mismatch_in_contract_fails_at_construction(tmp_path: Path) -> None:
    path = tmp_path / "payment_effect.yaml"
    path.write_text(EFFECT_CONTRACT)
    command, effect = EnumMessageCategory.COMMAND, EnumNodeKind.EFFECT
    # handler-refund serves intents, but the contract routes commands to it.
    refund = RecordingHandler(
        "handler-refund", EnumMessageCategory.INTENT, effect, {"ModelPaymentCommand"}
    )
    container = _container(
        RecordingHandler("handler-charge", command, effect, {"ModelPaymentCommand"}),
        refund,
        RecordingHandler("handler-payment-fallback", command, effect, {"ModelPaymentCommand"}),
    )

    with pytest.raises(ModelOnexError) as caught:
        PaymentEffect(container, path)

    assert "handler-refund" in caught.value.message
    assert "payment.refund" in caught.value.message


def test_malformed_contract_fails_with_contract_validation_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        ORCHESTRATOR_CONTRACT.replace("handler_key: handler-audit", "handler_kye: handler-audit")
    )

    with pytest.raises(ModelOnexError) as caught:
        load_contract(path)

    assert caught.value.error_code == EnumCoreErrorCode.CONTRACT_VALIDATION_ERROR
    assert "handler_kye" in caught.value.message
    assert str(path) in caught.value.message
