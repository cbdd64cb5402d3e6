"""NodeRegistrationOrchestrator: fail-fast construction and settings from the contract."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from omnibase_core.contracts import problems_from_error
from omnibase_core.enums import EnumCoreErrorCode, EnumMessageCategory
from omnibase_core.models.container import ModelONEXContainer
from omnibase_core.models.errors import ModelOnexError
from omnibase_core.services import ServiceHandlerRegistry
from omnibase_infra.nodes.node_registration_orchestrator import node as node_module
from omnibase_infra.nodes.node_registration_orchestrator.models import (
    ModelRegistrationContract,
    ModelRegistrationSettings,
)
from omnibase_infra.nodes.node_registration_orchestrator.node import (
    NodeRegistrationOrchestrator,
)
from omnibase_infra.nodes.node_registration_orchestrator.registry import (
    RegistryInfraNodeRegistrationOrchestrator,
)

CONTRACT = NodeRegistrationOrchestrator.DEFAULT_CONTRACT_PATH


def container_with_registry() -> ModelONEXContainer:
    container = ModelONEXContainer()
    registry = RegistryInfraNodeRegistrationOrchestrator.create_registry()
    container.register_service(ServiceHandlerRegistry, registry)
    return container


def test_routes_each_payload_type_to_its_handler_only() -> None:
    node = NodeRegistrationOrchestrator(container_with_registry())
    assert node.get_routing_table() == {
        "ModelNodeIntrospectionEvent": ["handler-node-introspected"],
        "ModelNodeHeartbeatEvent": ["handler-node-heartbeat"],
        "ModelRuntimeTick": ["handler-runtime-tick"],
    }
    event = EnumMessageCategory.EVENT
    assert [h.handler_id for h in node.route_to_handlers("ModelRuntimeTick", event)] == []
    intent = EnumMessageCategory.INTENT
    assert [h.handler_id for h in node.route_to_handlers("ModelRuntimeTick", intent)] == [
        "handler-runtime-tick"
    ]
    assert node.validate_handler_routing() == []
    assert node.contract_path == CONTRACT


def test_registry_is_frozen_with_three_handlers() -> None:
    registry = RegistryInfraNodeRegistrationOrchestrator.create_registry()
    assert registry.is_frozen
    assert registry.handler_count == 3


def test_unknown_handler_key_stops_construction_naming_path_and_key(tmp_path: Path) -> None:
    bad = tmp_path / "contract.yaml"
    bad.write_text(CONTRACT.read_text().replace("handler-node-heartbeat", "handler-node-heartbaet"))
    with pytest.raises(ModelOnexError) as caught:
        NodeRegistrationOrchestrator(container_with_registry(), contract_path=bad)
    text = str(caught.value)
    assert str(bad) in text
    assert "handler-node-heartbaet" in text
    assert "ModelNodeHeartbeatEvent" in text
    assert caught.value.context["contract_path"] == str(bad)


def test_missing_registry_is_service_not_found() -> None:
    with pytest.raises(ModelOnexError) as caught:
        NodeRegistrationOrchestrator(ModelONEXContainer())
    assert caught.value.error_code is EnumCoreErrorCode.SERVICE_NOT_FOUND


def test_settings_default_to_the_contract_lifecycle() -> None:
    assert NodeRegistrationOrchestrator.load_settings() == ModelRegistrationSettings()


def test_settings_overrides_win(tmp_path: Path) -> None:
    custom = tmp_path / "contract.yaml"
    custom.write_text(
        CONTRACT.read_text().replace(
            "liveness_interval_seconds: 60", "liveness_interval_seconds: 5"
        )
    )
    settings = NodeRegistrationOrchestrator.load_settings(custom, expiry_batch_size=7)
    assert settings.liveness_interval == timedelta(seconds=5)
    assert settings.expiry_batch_size == 7


@pytest.mark.parametrize(
    ("replacement", "field", "fragment"),
    [
        ("liveness_intreval_seconds: 60", "lifecycle.liveness_intreval_seconds", "did you mean"),
        ("liveness_interval_seconds: soon", "lifecycle.liveness_interval_seconds", "number"),
        ("liveness_interval_seconds: -1", "lifecycle.liveness_interval_seconds", "greater"),
    ],
)
def test_bad_lifecycle_settings_are_located_in_the_contract(
    tmp_path: Path, replacement: str, field: str, fragment: str
) -> None:
    bad = tmp_path / "contract.yaml"
    bad.write_text(CONTRACT.read_text().replace("liveness_interval_seconds: 60", replacement))
    line = 1 + bad.read_text().splitlines().index(f"  {replacement}")
    for load in (
        lambda: NodeRegistrationOrchestrator.load_settings(bad),
        lambda: NodeRegistrationOrchestrator(container_with_registry(), contract_path=bad),
    ):
        with pytest.raises(ModelOnexError) as caught:
            load()
        assert caught.value.error_code is EnumCoreErrorCode.CONTRACT_VALIDATION_ERROR
        (problem,) = problems_from_error(caught.value)
        assert (problem.path, problem.line, problem.field) == (str(bad), line, field)
        assert fragment in problem.format()


def test_an_invalid_settings_override_is_an_invalid_parameter() -> None:
    with pytest.raises(ModelOnexError) as caught:
        NodeRegistrationOrchestrator.load_settings(expiry_batch_size=0)
    assert caught.value.error_code is EnumCoreErrorCode.INVALID_PARAMETER
    assert "expiry_batch_size" in caught.value.message


def test_the_node_holds_its_typed_contract() -> None:
    node = NodeRegistrationOrchestrator(container_with_registry())
    assert isinstance(node.registration_contract, ModelRegistrationContract)
    assert node.registration_contract.lifecycle.to_settings() == ModelRegistrationSettings()


def test_module_docstring_names_only_files_that_exist() -> None:
    doc = node_module.__doc__ or ""
    named = re.findall(r"``([\w/]+\.(?:py|yaml))``", doc)
    assert named
    here = CONTRACT.parent
    package_root = here.parents[1]
    for name in named:
        assert (here / name).exists() or (package_root / name.split("/", 1)[1]).exists(), name


def test_a_tick_envelope_is_a_pure_function_of_partition_instant_sequence_and_id() -> None:
    import uuid
    from datetime import UTC, datetime

    from omnibase_infra.models import ModelPartition
    from omnibase_infra.nodes.node_registration_orchestrator.models import ModelRuntimeTick
    from omnibase_infra.nodes.node_registration_orchestrator.service_registration_runtime import (
        ServiceRegistrationRuntime,
    )
    from omnibase_infra.runtime.protocol_ticking_node import ProtocolTickingNode
    from omnibase_infra.stores.store_registration_memory import StoreRegistrationMemory

    node = ServiceRegistrationRuntime(StoreRegistrationMemory()).node
    assert isinstance(node, ProtocolTickingNode)
    at = datetime(2026, 3, 1, 12, 0, 5, tzinfo=UTC)
    envelope_id = uuid.uuid4()
    one = node.tick_envelope(ModelPartition(index=1, count=4), at, 7, envelope_id)
    two = node.tick_envelope(ModelPartition(index=1, count=4), at, 7, envelope_id)
    assert one == two
    assert (one.envelope_id, one.envelope_timestamp, one.correlation_id) == (
        envelope_id,
        at,
        envelope_id,
    )
    assert one.category is EnumMessageCategory.INTENT
    assert one.topic == "onex.intent.platform.runtime-tick.v1"
    payload = one.payload
    assert isinstance(payload, ModelRuntimeTick)
    assert (payload.tick_id, payload.now, payload.sequence_number) == (envelope_id, at, 7)
    assert payload.tick_interval_ms == 5000  # the contract's lifecycle.tick_interval_seconds
