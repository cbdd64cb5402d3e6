"""build_handler_registry: a frozen registry from a contract's class references, and nodes
that use it when their container holds no registry."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import pytest

from omnibase_core.contracts import (
    build_handler_registry,
    load_contract,
    load_contract_text,
    problems_from_error,
)
from omnibase_core.enums import EnumMessageCategory
from omnibase_core.models.container import ModelONEXContainer
from omnibase_core.models.errors import ModelOnexError
from omnibase_core.models.events import ModelEventEnvelope
from omnibase_core.nodes import NodeEffect, NodeOrchestrator
from omnibase_core.services import ServiceHandlerRegistry

LIVE = Path(__file__).parent / "live_contracts"


@pytest.fixture
def corpus(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The corpus handler module, importable by name, with its construction log cleared."""
    monkeypatch.syspath_prepend(str(LIVE))
    import live_corpus_handlers

    live_corpus_handlers._CorpusHandler.constructed.clear()
    return live_corpus_handlers


def test_each_class_is_imported_and_constructed_once_with_the_container(corpus: Any) -> None:
    contract = load_contract(LIVE / "registration_orchestrator.yaml")
    container = ModelONEXContainer()
    registry = build_handler_registry(contract, container)
    assert isinstance(registry, ServiceHandlerRegistry)
    assert registry.is_frozen
    assert sorted(handler.handler_id for handler in registry.get_handlers()) == [
        "HandlerNodeHeartbeat",
        "HandlerNodeIntrospected",
        "HandlerNodeRegistrationAcked",
        "HandlerRuntimeTick",
    ]
    # HandlerNodeHeartbeat is named by two entries and still constructed once
    assert sorted(name for name, _ in corpus._CorpusHandler.constructed) == [
        "HandlerNodeHeartbeat",
        "HandlerNodeIntrospected",
        "HandlerNodeRegistrationAcked",
        "HandlerRuntimeTick",
    ]
    assert all(seen is container for _, seen in corpus._CorpusHandler.constructed)


def test_a_class_without_constructor_arguments_is_constructed_bare(corpus: Any) -> None:
    contract = load_contract_text(
        "name: n\ncontract_version: 1.0.0\nnode_type: orchestrator\nhandler_routing:\n"
        "  handlers:\n    - payload_type: ModelPing\n"
        "      handler: {name: HandlerNoArguments, module: live_corpus_handlers}\n"
    )
    registry = build_handler_registry(contract, ModelONEXContainer())
    handler = registry.get_handler_by_id("handler-no-arguments")
    assert isinstance(handler, corpus.HandlerNoArguments)


def test_a_node_with_only_a_live_contract_builds_its_registry_and_routes(corpus: Any) -> None:
    contract = load_contract(LIVE / "registration_orchestrator.yaml")
    container = ModelONEXContainer()
    node = NodeOrchestrator(container, contract)  # no registry in the container
    assert node.get_routing_table() == {
        "ModelNodeIntrospectionEvent": ["HandlerNodeIntrospected", "HandlerNodeHeartbeat"],
        "ModelRuntimeTick": ["HandlerRuntimeTick"],
        "ModelNodeRegistrationAcked": ["HandlerNodeRegistrationAcked"],
        "ModelNodeHeartbeatEvent": ["HandlerNodeHeartbeat"],
    }
    handlers = node.route_to_handlers("ModelNodeIntrospectionEvent", EnumMessageCategory.EVENT)
    assert [type(handler).__name__ for handler in handlers] == [
        "HandlerNodeIntrospected",
        "HandlerNodeHeartbeat",
    ]
    assert all(handler.container is container for handler in handlers)  # type: ignore[attr-defined]
    assert node.validate_handler_routing() == []


async def _process(node: NodeEffect, operation: str) -> list[str]:
    envelope = ModelEventEnvelope[dict[str, Any]](
        payload={}, operation=operation, category=EnumMessageCategory.COMMAND
    )
    return [output.handler_id for output in await node.process(envelope)]


def test_an_effect_node_with_only_a_live_contract_processes_envelopes(corpus: Any) -> None:
    node = NodeEffect(ModelONEXContainer(), load_contract(LIVE / "registry_effect.yaml"))
    assert asyncio.run(_process(node, "register_node")) == [
        "HandlerConsulRegister",
        "HandlerPostgresUpsert",
    ]
    assert asyncio.run(_process(node, "unknown")) == []


def test_a_container_registry_wins_over_class_references(corpus: Any) -> None:
    container = ModelONEXContainer()
    registry = ServiceHandlerRegistry()
    registry.freeze()
    container.register_service(ServiceHandlerRegistry, registry)
    with pytest.raises(ModelOnexError, match="no registered handler is an instance of"):
        NodeOrchestrator(container, load_contract(LIVE / "registration_orchestrator.yaml"))
    assert corpus._CorpusHandler.constructed == []


def test_a_node_with_a_bad_class_fails_at_construction_naming_the_line(corpus: Any) -> None:
    path = LIVE.parent / "bad_handler_imports" / "missing_class.yaml"
    with pytest.raises(ModelOnexError) as caught:
        NodeOrchestrator(ModelONEXContainer(), load_contract(path))
    (problem,) = problems_from_error(caught.value)
    assert (problem.path, problem.line, problem.column) == (str(path), 10, 23)
    assert "has no class 'HandlerNodeHeartbeet'" in problem.message


def test_canonical_entries_cannot_be_built_from_classes(corpus: Any) -> None:
    with pytest.raises(ModelOnexError) as caught:
        build_handler_registry(load_contract(LIVE / "both_shapes.yaml"), ModelONEXContainer())
    (problem,) = problems_from_error(caught.value)
    assert (problem.line, problem.field) == (11, "handler_routing.handlers[0].handler_key")
    assert "names a handler id; a registry built from class references cannot" in (problem.message)


def test_routing_problems_are_located_too(corpus: Any) -> None:
    contract = load_contract_text(
        "name: n\ncontract_version: 1.0.0\nnode_type: orchestrator\nhandler_routing:\n"
        "  handlers:\n    - payload_type: ModelPing\n"
        "      handler: {name: HandlerRuntimeTick, module: live_corpus_handlers}\n"
        "      message_category: EVENT\n"
        "  default_handler: nobody\n",
        source="c.yaml",
    )
    with pytest.raises(ModelOnexError) as caught:
        build_handler_registry(contract, ModelONEXContainer())
    assert [(p.line, p.field) for p in problems_from_error(caught.value)] == [
        (8, "handler_routing.handlers[0].message_category"),
        (9, "handler_routing.default_handler"),
    ]


def test_a_contract_without_routing_gives_an_empty_frozen_registry() -> None:
    contract = load_contract_text("name: n\ncontract_version: 1.0.0\nnode_type: effect\n")
    registry = build_handler_registry(contract, ModelONEXContainer())
    assert registry.is_frozen
    assert registry.handler_count == 0


def test_two_instances_of_one_class_are_ambiguous(corpus: Any) -> None:
    contract = load_contract_text(
        "name: n\ncontract_version: 1.0.0\nnode_type: orchestrator\nhandler_routing:\n"
        "  handlers:\n    - payload_type: ModelPing\n"
        "      handler: {name: HandlerNoArguments, module: live_corpus_handlers}\n"
    )

    class Other(corpus.HandlerNoArguments):  # type: ignore[misc]
        handler_id = "other"

    registry = ServiceHandlerRegistry()
    first, second = corpus.HandlerNoArguments(), corpus.HandlerNoArguments()
    second.handler_id = "second"
    registry.register_handler(first)
    registry.register_handler(second)
    registry.register_handler(Other())  # a subclass is not the class
    registry.freeze()
    container = ModelONEXContainer()
    container.register_service(ServiceHandlerRegistry, registry)
    with pytest.raises(ModelOnexError, match=r"2 registered handlers are instances of"):
        NodeOrchestrator(container, contract)
    assert "live_corpus_handlers" in sys.modules
