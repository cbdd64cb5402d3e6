"""NodeRoutingBase: the explicit composition of a routing node, shared by both node kinds."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from omnibase_core.mixins import (
    MixinEffectExecution,
    MixinHandlerExecution,
    MixinHandlerRouting,
    MixinWorkflowExecution,
)
from omnibase_core.models.container import ModelONEXContainer
from omnibase_core.models.events import ModelEventEnvelope
from omnibase_core.nodes import NodeCoreBase, NodeEffect, NodeOrchestrator, NodeRoutingBase


@pytest.mark.parametrize(
    ("node_class", "named"),
    [(NodeEffect, MixinEffectExecution), (NodeOrchestrator, MixinWorkflowExecution)],
)
def test_nodes_compose_routing_and_execution(node_class: type[Any], named: type[Any]) -> None:
    assert issubclass(node_class, NodeRoutingBase)
    for part in (NodeCoreBase, MixinHandlerRouting, MixinHandlerExecution, named):
        assert issubclass(node_class, part)


def test_execution_names_share_one_implementation() -> None:
    shared = MixinHandlerExecution.execute_handlers
    assert MixinEffectExecution.execute_effect is shared
    assert MixinWorkflowExecution.execute_workflow_step is shared


def test_both_execution_mixins_compose_in_one_class() -> None:
    class Both(MixinWorkflowExecution, MixinEffectExecution):
        pass

    assert asyncio.run(Both().execute_effect(ModelEventEnvelope[int](payload=1), [])) == []


def test_a_core_node_without_routing_knows_nothing_of_routing() -> None:
    node = NodeCoreBase(ModelONEXContainer(), None)
    assert not isinstance(node, MixinHandlerRouting)
    assert node.contract is None


@pytest.mark.parametrize("node_class", [NodeEffect, NodeOrchestrator])
def test_routing_is_initialised_at_construction(node_class: type[NodeRoutingBase]) -> None:
    node = node_class(ModelONEXContainer(), None)
    assert node.is_routing_initialized
    assert node.routing_strategy is None  # no section: the node's default field is routed
    envelope = ModelEventEnvelope[int](payload=1, payload_type="Int", operation="op")
    assert asyncio.run(node.process(envelope)) == []
