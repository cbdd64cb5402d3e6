"""YAML contract -> registry -> orchestrator -> store -> emitted events, with nothing faked."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from omnibase_core.contracts import load_contract
from omnibase_core.enums import EnumMessageCategory
from omnibase_core.models.container import ModelONEXContainer
from omnibase_core.models.errors import ModelOnexError
from omnibase_core.services import ServiceHandlerRegistry
from omnibase_infra.enums import EnumMessageOutcome
from omnibase_infra.models import ModelPartition
from omnibase_infra.nodes.node_registration_orchestrator.node import NodeRegistrationOrchestrator
from omnibase_infra.nodes.node_registration_orchestrator.registry import (
    RegistryInfraNodeRegistrationOrchestrator,
)
from omnibase_infra.nodes.node_registration_orchestrator.service_registration_runtime import (
    ServiceRegistrationRuntime,
)
from omnibase_infra.simulation import ModelClusterHistory
from omnibase_infra.stores.store_factory import open_store

CONTRACT = NodeRegistrationOrchestrator.DEFAULT_CONTRACT_PATH
EXPECTED_ROUTES = {
    "ModelNodeIntrospectionEvent": ("handler-node-introspected", EnumMessageCategory.EVENT),
    "ModelNodeHeartbeatEvent": ("handler-node-heartbeat", EnumMessageCategory.EVENT),
    "ModelRuntimeTick": ("handler-runtime-tick", EnumMessageCategory.INTENT),
}


def _node(
    store_url: str = "memory://", contract_path: Path = CONTRACT
) -> NodeRegistrationOrchestrator:
    settings = NodeRegistrationOrchestrator.load_settings()
    container = ModelONEXContainer()
    container.register_service(
        ServiceHandlerRegistry,
        RegistryInfraNodeRegistrationOrchestrator.create_registry(settings, ModelPartition()),
    )
    return NodeRegistrationOrchestrator(container, contract_path=contract_path)


def test_shipped_contract_routing_is_parsed_as_written() -> None:
    routing = load_contract(CONTRACT).handler_routing

    assert routing is not None
    assert routing.routing_strategy == "payload_type_match"
    assert routing.default_handler is None
    assert {
        e.routing_key: (e.handler_key, e.message_category) for e in routing.handlers
    } == EXPECTED_ROUTES
    assert len(routing.handlers) == 3


def test_each_message_type_reaches_its_handler_and_no_other() -> None:
    node = _node()

    for payload_type, (handler_id, category) in EXPECTED_ROUTES.items():
        assert [h.handler_id for h in node.route_to_handlers(payload_type, category)] == [
            handler_id
        ]
        for other in EnumMessageCategory:
            if other is not category:
                assert node.route_to_handlers(payload_type, other) == []
    assert node.route_to_handlers("ModelNodeCheckup", EnumMessageCategory.EVENT) == []


def test_each_envelope_of_a_history_is_handled_by_its_own_handler(
    small_history: ModelClusterHistory,
) -> None:
    store = open_store("memory://")
    runtime = ServiceRegistrationRuntime(store)
    seen: dict[str, set[str]] = {}

    async def route_all() -> None:
        for envelope in small_history.envelopes[:2_000]:
            with store.transaction() as txn:
                outputs = await runtime.node.decide(envelope, txn)
            seen.setdefault(envelope.payload_type, set()).update(o.handler_id for o in outputs)

    asyncio.run(route_all())
    runtime.close()

    assert seen == {k: {v[0]} for k, v in EXPECTED_ROUTES.items()}


def test_contract_naming_an_unregistered_handler_fails_at_construction(tmp_path: Path) -> None:
    broken = tmp_path / "contract.yaml"
    broken.write_text(
        CONTRACT.read_text().replace(
            "handler_key: handler-node-heartbeat", "handler_key: handler-node-heartbeat-v2"
        )
    )

    with pytest.raises(ModelOnexError) as caught:
        _node(contract_path=broken)

    assert str(broken) in caught.value.message
    assert "handler-node-heartbeat-v2" in caught.value.message
    assert "ModelNodeHeartbeatEvent" in caught.value.message


def test_redelivery_of_every_envelope_changes_nothing(
    small_history: ModelClusterHistory, tmp_path: Path, snapshot: Any
) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'registry.db'}")
    with ServiceRegistrationRuntime(store, batch_size=97) as runtime:
        first, first_events = runtime.apply(small_history.envelopes)
        before = snapshot(store)
        again, again_events = runtime.apply(small_history.envelopes)
        after = snapshot(store)
    store.close()

    assert first.total == len(small_history.envelopes)
    assert first_events
    assert again.duplicates == again.total == len(small_history.envelopes)
    assert again.applied == again.ignored == again.dead_lettered == 0
    assert again_events == []
    assert after == before


def test_every_input_ends_in_exactly_one_recorded_outcome(
    small_history: ModelClusterHistory,
) -> None:
    store = open_store("memory://")
    with ServiceRegistrationRuntime(store) as runtime:
        summary, events = runtime.apply(small_history.envelopes)
    outcomes = store.count_outcomes()

    distinct = len({e.envelope_id for e in small_history.envelopes})
    assert summary.applied + summary.ignored + summary.duplicates + summary.dead_lettered == len(
        small_history.envelopes
    )
    assert summary.duplicates == len(small_history.envelopes) - distinct
    assert outcomes[EnumMessageOutcome.APPLIED] == summary.applied
    assert outcomes[EnumMessageOutcome.IGNORED] == summary.ignored
    assert sum(outcomes.values()) == distinct
    assert [e.event_id for e in store.iter_events()] == [e.event_id for e in events]
