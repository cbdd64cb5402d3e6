"""NodeOrchestrator: routing by payload type, ordered execution, errors, contracts."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any
from uuid import UUID

import pytest
from pydantic import BaseModel

from omnibase_core.enums import EnumCoreErrorCode, EnumMessageCategory, EnumNodeKind
from omnibase_core.models.container import ModelONEXContainer
from omnibase_core.models.contracts.subcontracts import ModelHandlerRoutingSubcontract
from omnibase_core.models.dispatch import ModelHandlerOutput
from omnibase_core.models.errors import ModelOnexError
from omnibase_core.models.events import ModelEventEnvelope
from omnibase_core.nodes import NodeCoreBase, NodeOrchestrator
from omnibase_core.services import ServiceHandlerRegistry

EVT, CMD = EnumMessageCategory.EVENT, EnumMessageCategory.COMMAND
Factory = Callable[..., Any]


class ModelPing(BaseModel):
    value: int = 0


class ModelPong(BaseModel):
    value: int = 0


class Contract(BaseModel):
    """Stands in for a loaded node contract: only ``handler_routing`` matters here."""

    name: str = "test"
    handler_routing: ModelHandlerRoutingSubcontract | None = None


class RecordingHandler:
    def __init__(
        self,
        handler_id: str,
        log: list[str],
        category: EnumMessageCategory = EVT,
        fail: BaseException | None = None,
        result: Any = None,
    ) -> None:
        self.handler_id = handler_id
        self.category = category
        self.node_kind = EnumNodeKind.ORCHESTRATOR
        self.message_types = {"ModelPing"}
        self._log = log
        self._fail = fail
        self._result = result

    async def handle(self, envelope: ModelEventEnvelope[Any]) -> Any:
        await asyncio.sleep(0)
        self._log.append(self.handler_id)
        if self._fail is not None:
            raise self._fail
        if self._result is not None:
            return self._result
        return ModelHandlerOutput(
            handler_id=self.handler_id, input_envelope_id=envelope.envelope_id
        )


def envelope(
    payload: BaseModel, category: EnumMessageCategory = EVT, **fields: Any
) -> ModelEventEnvelope[Any]:
    return ModelEventEnvelope[Any](payload=payload, category=category, **fields)


def container_with(
    *handlers: Any, key: Any = "ProtocolHandlerRegistry", freeze: bool = True
) -> ModelONEXContainer:
    registry = ServiceHandlerRegistry()
    for handler in handlers:
        registry.register_handler(handler)
    if freeze:
        registry.freeze()
    container = ModelONEXContainer()
    container.register_service(key, registry)
    return container


def run(coro: Any) -> Any:
    return asyncio.run(coro)


@pytest.fixture
def log() -> list[str]:
    return []


def test_routes_by_payload_type_in_order(log: list[str], make_subcontract: Factory) -> None:
    handlers = [RecordingHandler(name, log) for name in ("first", "second", "other")]
    routing = make_subcontract(
        [("ModelPing", "second", 1), ("ModelPing", "first", 0), ("ModelPong", "other")]
    )
    node = NodeOrchestrator(container_with(*handlers), Contract(handler_routing=routing))
    message = envelope(ModelPing())
    outputs = run(node.process(message))
    assert [output.handler_id for output in outputs] == ["first", "second"]
    assert all(output.input_envelope_id == message.envelope_id for output in outputs)
    assert log == ["first", "second"]


def test_category_filters_handlers(log: list[str], make_subcontract: Factory) -> None:
    handlers = [RecordingHandler("evt", log), RecordingHandler("cmd", log, CMD)]
    routing = make_subcontract([("ModelPing", "evt"), ("ModelPing", "cmd")])
    node = NodeOrchestrator(container_with(*handlers), Contract(handler_routing=routing))
    assert [o.handler_id for o in run(node.process(envelope(ModelPing(), CMD)))] == ["cmd"]
    assert [o.handler_id for o in run(node.process(envelope(ModelPing(), EVT)))] == ["evt"]


def test_unmatched_payload_uses_default_or_nothing(
    log: list[str], make_subcontract: Factory
) -> None:
    handlers = [RecordingHandler("ping", log), RecordingHandler("fallback", log)]
    with_default = NodeOrchestrator(
        container_with(*handlers),
        Contract(handler_routing=make_subcontract([("ModelPing", "ping")], default="fallback")),
    )
    assert [o.handler_id for o in run(with_default.process(envelope(ModelPong())))] == ["fallback"]
    without = NodeOrchestrator(
        container_with(*handlers),
        Contract(handler_routing=make_subcontract([("ModelPing", "ping")])),
    )
    assert run(without.process(envelope(ModelPong()))) == []


def test_handler_failure_is_wrapped(log: list[str], make_subcontract: Factory) -> None:
    boom = ValueError("boom")
    handlers = [
        RecordingHandler("ok", log),
        RecordingHandler("bad", log, fail=boom),
        RecordingHandler("after", log),
    ]
    routing = make_subcontract([("ModelPing", "ok"), ("ModelPing", "bad"), ("ModelPing", "after")])
    node = NodeOrchestrator(container_with(*handlers), Contract(handler_routing=routing))
    message = envelope(ModelPing())
    with pytest.raises(ModelOnexError) as info:
        run(node.process(message))
    error = info.value
    assert error.error_code is EnumCoreErrorCode.HANDLER_EXECUTION_ERROR
    assert "'bad'" in error.message
    assert str(message.envelope_id) in error.message
    assert "ValueError: boom" in error.message
    assert error.__cause__ is boom
    assert error.context["handler_id"] == "bad"
    assert error.context["envelope_id"] == str(message.envelope_id)
    assert log == ["ok", "bad"]  # stops at the first failure


def test_handler_onex_error_is_wrapped_too(log: list[str], make_subcontract: Factory) -> None:
    inner = ModelOnexError("inner", EnumCoreErrorCode.VALIDATION_ERROR)
    node = NodeOrchestrator(
        container_with(RecordingHandler("bad", log, fail=inner)),
        Contract(handler_routing=make_subcontract([("ModelPing", "bad")])),
    )
    with pytest.raises(ModelOnexError) as info:
        run(node.process(envelope(ModelPing())))
    assert info.value.error_code is EnumCoreErrorCode.HANDLER_EXECUTION_ERROR
    assert info.value.__cause__ is inner


def test_cancellation_is_not_wrapped(log: list[str], make_subcontract: Factory) -> None:
    node = NodeOrchestrator(
        container_with(RecordingHandler("bad", log, fail=asyncio.CancelledError())),
        Contract(handler_routing=make_subcontract([("ModelPing", "bad")])),
    )
    with pytest.raises(asyncio.CancelledError):
        run(node.process(envelope(ModelPing())))


@pytest.mark.parametrize("result", [{"handler_id": "x"}, "done", 42])
def test_non_output_result_is_an_execution_error(
    log: list[str], make_subcontract: Factory, result: Any
) -> None:
    node = NodeOrchestrator(
        container_with(RecordingHandler("odd", log, result=result)),
        Contract(handler_routing=make_subcontract([("ModelPing", "odd")])),
    )
    with pytest.raises(ModelOnexError) as info:
        run(node.process(envelope(ModelPing())))
    assert info.value.error_code is EnumCoreErrorCode.HANDLER_EXECUTION_ERROR
    assert "must return a ModelHandlerOutput" in info.value.message


def test_missing_payload_type_is_invalid_parameter() -> None:
    node = NodeOrchestrator(ModelONEXContainer())
    message = ModelEventEnvelope[Any](payload={"raw": 1})
    with pytest.raises(ModelOnexError) as info:
        run(node.process(message))
    assert info.value.error_code is EnumCoreErrorCode.INVALID_PARAMETER
    assert "payload_type" in info.value.message


@pytest.mark.parametrize("contract", [None, Contract(), object()])
def test_node_without_routing_works_unchanged(contract: Any) -> None:
    node = NodeOrchestrator(ModelONEXContainer(), contract)
    assert node.is_routing_initialized
    assert node.get_routing_table() == {}
    assert run(node.process(envelope(ModelPing()))) == []


def test_node_without_routing_uses_container_registry(log: list[str]) -> None:
    node = NodeOrchestrator(container_with(RecordingHandler("h", log)), Contract())
    assert node.is_routing_initialized
    assert run(node.process(envelope(ModelPing()))) == []


def test_registry_found_by_class(log: list[str], make_subcontract: Factory) -> None:
    container = container_with(RecordingHandler("h", log), key=ServiceHandlerRegistry)
    node = NodeOrchestrator(
        container, Contract(handler_routing=make_subcontract([("ModelPing", "h")]))
    )
    assert [o.handler_id for o in run(node.process(envelope(ModelPing())))] == ["h"]


def test_routing_without_registry_is_deferred_to_explicit_init(
    log: list[str], make_subcontract: Factory
) -> None:
    routing = make_subcontract([("ModelPing", "h")])
    node = NodeOrchestrator(ModelONEXContainer(), Contract(handler_routing=routing))
    assert not node.is_routing_initialized
    with pytest.raises(ModelOnexError) as info:
        run(node.process(envelope(ModelPing())))
    assert info.value.error_code is EnumCoreErrorCode.INVALID_STATE
    registry = ServiceHandlerRegistry()
    registry.register_handler(RecordingHandler("h", log))
    registry.freeze()
    node._init_handler_routing(node.contract_handler_routing, registry)
    assert [o.handler_id for o in run(node.process(envelope(ModelPing())))] == ["h"]


def test_unknown_handler_key_fails_at_construction(
    log: list[str], make_subcontract: Factory
) -> None:
    routing = make_subcontract([("ModelPing", "ghost")])
    with pytest.raises(ModelOnexError) as info:
        NodeOrchestrator(
            container_with(RecordingHandler("h", log)), Contract(handler_routing=routing)
        )
    assert info.value.error_code is EnumCoreErrorCode.CONTRACT_VALIDATION_ERROR
    assert "NodeOrchestrator._init_handler_routing" in info.value.message
    assert "'ghost'" in info.value.message


def test_unfrozen_registry_defers_resolution(log: list[str], make_subcontract: Factory) -> None:
    container = container_with(RecordingHandler("h", log), freeze=False)
    node = NodeOrchestrator(
        container, Contract(handler_routing=make_subcontract([("ModelPing", "h")]))
    )
    with pytest.raises(ModelOnexError) as info:
        run(node.process(envelope(ModelPing())))
    assert info.value.error_code is EnumCoreErrorCode.INVALID_STATE
    assert "not frozen" in info.value.message
    container.get_service(ServiceHandlerRegistry).freeze()
    assert [o.handler_id for o in run(node.process(envelope(ModelPing())))] == ["h"]


def test_topic_strategy_routes_by_topic(log: list[str], make_subcontract: Factory) -> None:
    routing = make_subcontract([("onex.evt.*", "h")], "topic_pattern")
    node = NodeOrchestrator(
        container_with(RecordingHandler("h", log)), Contract(handler_routing=routing)
    )
    hit = envelope(ModelPing(), topic="onex.evt.platform.ping.v1")
    assert [o.handler_id for o in run(node.process(hit))] == ["h"]
    assert run(node.process(envelope(ModelPing(), topic="onex.cmd.x"))) == []
    with pytest.raises(ModelOnexError) as info:
        run(node.process(envelope(ModelPing())))
    assert info.value.error_code is EnumCoreErrorCode.INVALID_PARAMETER
    assert "topic" in info.value.message


def test_node_identity_and_container() -> None:
    container = ModelONEXContainer()
    node_id = UUID(int=7)
    node = NodeOrchestrator(container, None, node_id=node_id)
    assert node.node_id == node_id
    assert node.container is container
    assert node.contract is None
    assert isinstance(NodeOrchestrator(container).node_id, UUID)
    assert NodeOrchestrator(container).node_id != NodeOrchestrator(container).node_id


def test_core_base_rejects_none_container() -> None:
    with pytest.raises(ModelOnexError) as info:
        NodeCoreBase(None)  # type: ignore[arg-type]
    assert info.value.error_code is EnumCoreErrorCode.INVALID_PARAMETER


def test_core_base_cooperates_with_other_bases() -> None:
    class Extra:
        def __init__(self, *, extra: int = 0, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.extra = extra

    class Node(NodeOrchestrator, Extra):
        pass

    node = Node(ModelONEXContainer(), extra=5)
    assert node.extra == 5
    assert node.is_routing_initialized


def test_concurrent_envelopes_each_get_their_outputs(
    log: list[str], make_subcontract: Factory
) -> None:
    handlers = [RecordingHandler(name, log) for name in ("a", "b")]
    node = NodeOrchestrator(
        container_with(*handlers),
        Contract(handler_routing=make_subcontract([("ModelPing", "a"), ("ModelPing", "b")])),
    )
    messages = [envelope(ModelPing(value=n)) for n in range(50)]

    async def all_of_them() -> list[list[ModelHandlerOutput]]:
        return await asyncio.gather(*(node.process(m) for m in messages))

    results = run(all_of_them())
    for message, outputs in zip(messages, results, strict=True):
        assert [(o.handler_id, o.input_envelope_id) for o in outputs] == [
            ("a", message.envelope_id),
            ("b", message.envelope_id),
        ]
