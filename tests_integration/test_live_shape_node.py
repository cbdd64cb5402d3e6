"""A node declared only by a live-shape contract routes envelopes with no registration code.

The contracts name their handlers by class reference (``handler: {name, module}``, classes in
``live_shape_handlers.py``); the node is built from a loaded contract and an empty container,
imports and constructs each class once, and ``process()`` routes real envelopes to them.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from omnibase_core.contracts import load_contract
from omnibase_core.enums import EnumMessageCategory
from omnibase_core.models.container import ModelONEXContainer
from omnibase_core.models.events import ModelEventEnvelope
from omnibase_core.nodes import NodeEffect, NodeOrchestrator

ORCHESTRATOR = """\
name: node_orders
contract_version: {major: 2, minor: 1, patch: 0}
node_type: ORCHESTRATOR_GENERIC
handler_routing:
  routing_strategy: payload_type_match
  handlers:
    - event_model: {name: ModelOrderPlaced, module: shop.models}
      handler: {name: HandlerOrderAudit, module: live_shape_handlers}
      message_category: EVENT
      priority: 10
      description: Audits every order.
    - event_model: {name: ModelOrderPlaced, module: shop.models}
      handler: {name: HandlerOrderPlaced, module: live_shape_handlers}
      message_category: EVENT
      output_events: [ModelPaymentRequested]
    - payload_type: ModelCancelOrder
      handler: {name: HandlerCancelOrder, module: live_shape_handlers}
      message_category: COMMAND
"""

EFFECT = """\
name: node_payments
contract_version: 1.0.0
node_type: EFFECT_GENERIC
handler_routing:
  routing_strategy: operation_match
  handlers:
    - operation: payment.charge
      handler: {name: HandlerCharge, module: live_shape_handlers}
      message_category: command
      backend: stripe
    - operation: payment.refund
      handler: {name: HandlerRefund, module: live_shape_handlers}
      message_category: command
"""


class ModelOrderPlaced(BaseModel):
    order_id: str


class ModelCancelOrder(BaseModel):
    order_id: str


@pytest.fixture
def handlers(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.syspath_prepend(str(Path(__file__).parent))
    import live_shape_handlers  # type: ignore[import-not-found]

    live_shape_handlers._Recording.constructed.clear()
    live_shape_handlers._Recording.handled.clear()
    return live_shape_handlers


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_orchestrator_from_a_live_contract_routes_through_process(
    tmp_path: Path, handlers: Any
) -> None:
    container = ModelONEXContainer()
    node = NodeOrchestrator(container, load_contract(_write(tmp_path, "o.yaml", ORCHESTRATOR)))

    placed = ModelEventEnvelope[Any](
        payload=ModelOrderPlaced(order_id="o-1"), category=EnumMessageCategory.EVENT
    )
    cancel = ModelEventEnvelope[Any](
        payload=ModelCancelOrder(order_id="o-1"), category=EnumMessageCategory.COMMAND
    )
    placed_outputs = asyncio.run(node.process(placed))
    cancel_outputs = asyncio.run(node.process(cancel))
    wrong_category = asyncio.run(
        node.process(
            ModelEventEnvelope[Any](
                payload=ModelCancelOrder(order_id="o-2"), category=EnumMessageCategory.EVENT
            )
        )
    )

    assert [o.handler_id for o in placed_outputs] == ["handler-orderplaced", "handler-orderaudit"]
    assert [o.events for o in placed_outputs] == [({"handled": "ModelOrderPlaced"},)] * 2
    assert [o.handler_id for o in cancel_outputs] == ["handler-cancelorder"]
    assert wrong_category == []
    assert handlers._Recording.handled == [
        ("handler-orderplaced", placed.envelope_id),
        ("handler-orderaudit", placed.envelope_id),
        ("handler-cancelorder", cancel.envelope_id),
    ]
    # each class imported and constructed once, from the node's container
    assert sorted(name for name, _ in handlers._Recording.constructed) == [
        "HandlerCancelOrder",
        "HandlerOrderAudit",
        "HandlerOrderPlaced",
    ]
    assert all(seen is container for _, seen in handlers._Recording.constructed)
    assert node.get_routing_table() == {
        "ModelOrderPlaced": ["HandlerOrderPlaced", "HandlerOrderAudit"],
        "ModelCancelOrder": ["HandlerCancelOrder"],
    }


def test_effect_from_a_live_contract_routes_by_operation(tmp_path: Path, handlers: Any) -> None:
    node = NodeEffect(ModelONEXContainer(), load_contract(_write(tmp_path, "e.yaml", EFFECT)))

    def run(operation: str) -> list[str]:
        envelope = ModelEventEnvelope[dict[str, Any]](
            payload={"amount": 5}, operation=operation, category=EnumMessageCategory.COMMAND
        )
        return [output.handler_id for output in asyncio.run(node.process(envelope))]

    assert run("payment.charge") == ["handler-charge"]
    assert run("payment.refund") == ["handler-refund"]
    assert run("payment.unknown") == []
    assert [handler_id for handler_id, _ in handlers._Recording.handled] == [
        "handler-charge",
        "handler-refund",
    ]


def test_two_nodes_from_one_contract_each_build_their_own_handlers(
    tmp_path: Path, handlers: Any
) -> None:
    contract = load_contract(_write(tmp_path, "o.yaml", ORCHESTRATOR))
    first = NodeOrchestrator(ModelONEXContainer(), contract)
    second = NodeOrchestrator(ModelONEXContainer(), contract)
    one = first.route_to_handlers("ModelOrderPlaced", EnumMessageCategory.EVENT)
    two = second.route_to_handlers("ModelOrderPlaced", EnumMessageCategory.EVENT)
    assert [type(h) for h in one] == [type(h) for h in two]
    assert all(a is not b for a, b in zip(one, two, strict=True))
    assert len(handlers._Recording.constructed) == 6
