"""The core models: errors, semver, envelope, handler output, container, routing sections."""

from __future__ import annotations

import pickle
import threading
from datetime import datetime
from typing import Any
from uuid import UUID

import pytest
from pydantic import BaseModel, ValidationError

from omnibase_core.enums import EnumCoreErrorCode, EnumHandlerRoutingStrategy, EnumMessageCategory
from omnibase_core.models.container import ModelONEXContainer
from omnibase_core.models.contracts.subcontracts import (
    ModelHandlerRoutingEntry,
    ModelHandlerRoutingSubcontract,
)
from omnibase_core.models.dispatch import ModelHandlerOutput
from omnibase_core.models.errors import ModelOnexError
from omnibase_core.models.events import ModelEventEnvelope
from omnibase_core.models.primitives import ModelSemVer

# -- ModelOnexError --------------------------------------------------------------------------


def test_error_text_starts_with_code() -> None:
    error = ModelOnexError("it broke", EnumCoreErrorCode.INVALID_STATE, {"k": 1})
    assert str(error) == "ONEX_CORE_INVALID_STATE: it broke"
    assert error.message == "it broke"
    assert error.context == {"k": 1}
    assert "INVALID_STATE" in repr(error)


def test_error_context_is_read_only_and_copied() -> None:
    source = {"k": 1}
    error = ModelOnexError("m", EnumCoreErrorCode.VALIDATION_ERROR, source)
    source["k"] = 2
    assert error.context["k"] == 1
    with pytest.raises(TypeError):
        error.context["k"] = 3  # type: ignore[index]


def test_error_code_from_value_and_default() -> None:
    assert (
        ModelOnexError("m", "ONEX_CORE_INVALID_PARAMETER").error_code
        is EnumCoreErrorCode.INVALID_PARAMETER
    )  # type: ignore[arg-type]
    assert ModelOnexError("m").error_code is EnumCoreErrorCode.VALIDATION_ERROR


def test_error_pickles() -> None:
    error = ModelOnexError("m", EnumCoreErrorCode.SERVICE_NOT_FOUND, {"key": "x"})
    clone = pickle.loads(pickle.dumps(error))
    assert str(clone) == str(error)
    assert clone.context == {"key": "x"}


# -- ModelSemVer -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1.2.3", (1, 2, 3)),
        (" 0.0.0 ", (0, 0, 0)),
        ("v10.20.30", (10, 20, 30)),
        ({"major": 1, "minor": 0, "patch": 0}, (1, 0, 0)),
    ],
)
def test_semver_parses(raw: Any, expected: tuple[int, int, int]) -> None:
    version = ModelSemVer.model_validate(raw)
    assert version.as_tuple() == expected
    assert str(version) == ".".join(map(str, expected))


@pytest.mark.parametrize(
    "raw",
    ["1.2", "1.2.3.4", "01.2.3", "a.b.c", "", "-1.0.0", {"major": -1, "minor": 0, "patch": 0}],
)
def test_semver_rejects(raw: Any) -> None:
    with pytest.raises(ValidationError):
        ModelSemVer.model_validate(raw)


@pytest.mark.parametrize(
    ("low", "high"),
    [
        ("1.0.0", "1.0.1"),
        ("1.0.9", "1.1.0"),
        ("1.9.9", "2.0.0"),
        ("0.0.0", "0.0.1"),
        ("2.0.0", "10.0.0"),
    ],
)
def test_semver_orders_numerically(low: str, high: str) -> None:
    a, b = ModelSemVer.parse(low), ModelSemVer.parse(high)
    assert a < b
    assert a <= b
    assert b > a
    assert b >= a
    assert a != b
    assert sorted([b, a]) == [a, b]


def test_semver_equality_and_hash() -> None:
    assert ModelSemVer.parse("1.2.3") == ModelSemVer(major=1, minor=2, patch=3)
    assert len({ModelSemVer.parse("1.2.3"), ModelSemVer(major=1, minor=2, patch=3)}) == 1


# -- ModelEventEnvelope and ModelHandlerOutput -----------------------------------------------


class ModelThing(BaseModel):
    value: int = 1


def test_envelope_defaults() -> None:
    envelope = ModelEventEnvelope[ModelThing](payload=ModelThing())
    assert envelope.payload_type == "ModelThing"
    assert isinstance(envelope.envelope_id, UUID)
    assert envelope.envelope_timestamp.tzinfo is not None
    assert envelope.category is EnumMessageCategory.EVENT
    assert envelope.operation is None
    assert ModelEventEnvelope[ModelThing](payload=ModelThing()).envelope_id != envelope.envelope_id


def test_envelope_keeps_explicit_payload_type() -> None:
    envelope = ModelEventEnvelope[Any](payload=ModelThing(), payload_type="Other")
    assert envelope.payload_type == "Other"


def test_envelope_rejects_naive_timestamp_and_unknown_fields() -> None:
    with pytest.raises(ValidationError):
        ModelEventEnvelope[Any](payload=1, envelope_timestamp=datetime(2026, 1, 1))
    with pytest.raises(ValidationError):
        ModelEventEnvelope[Any].model_validate({"payload": 1, "topik": "x"})


def test_envelope_is_frozen_and_round_trips() -> None:
    envelope = ModelEventEnvelope[ModelThing](
        payload=ModelThing(value=3), topic="onex.evt.x.v1", category="command", operation="op"
    )
    with pytest.raises(ValidationError):
        envelope.topic = "other"  # type: ignore[misc]
    clone = ModelEventEnvelope[ModelThing].model_validate_json(envelope.model_dump_json())
    assert clone == envelope
    assert clone.category is EnumMessageCategory.COMMAND


def test_handler_output() -> None:
    output = ModelHandlerOutput(handler_id="h", input_envelope_id=UUID(int=1), events=(1, 2))
    assert output.intents == ()
    assert output.ignored_reason is None
    with pytest.raises(ValidationError):
        ModelHandlerOutput(handler_id="h", input_envelope_id=UUID(int=1), processing_time_ms=-1)


# -- ModelONEXContainer ----------------------------------------------------------------------


class ServiceBase:
    pass


class ServiceImpl(ServiceBase):
    pass


def test_container_by_name_and_class() -> None:
    container = ModelONEXContainer()
    impl = ServiceImpl()
    container.register_service(ServiceImpl, impl)
    assert container.get_service("ServiceImpl") is impl
    assert container.get_service(ServiceImpl) is impl
    assert container.get_service(ServiceBase) is impl
    assert container.has_service(ServiceBase)
    assert container.unregister_service(ServiceImpl) is True
    assert container.unregister_service(ServiceImpl) is False
    assert not container.has_service("ServiceImpl")


def test_container_missing_service_names_key() -> None:
    container = ModelONEXContainer()
    container.register_service("ProtocolOther", object())
    with pytest.raises(ModelOnexError) as info:
        container.get_service("ProtocolHandlerRegistry")
    assert info.value.error_code is EnumCoreErrorCode.SERVICE_NOT_FOUND
    assert "'ProtocolHandlerRegistry'" in info.value.message
    assert "ProtocolOther" in info.value.message


@pytest.mark.parametrize(
    ("key", "instance"), [("", object()), ("  ", object()), ("K", None), (3, object())]
)
def test_container_rejects_bad_registration(key: Any, instance: Any) -> None:
    with pytest.raises(ModelOnexError) as info:
        ModelONEXContainer().register_service(key, instance)
    assert info.value.error_code is EnumCoreErrorCode.INVALID_PARAMETER


def test_container_rejects_duplicate_key() -> None:
    container = ModelONEXContainer()
    container.register_service("K", 1)
    with pytest.raises(ModelOnexError) as info:
        container.register_service("K", 2)
    assert info.value.error_code is EnumCoreErrorCode.DUPLICATE_REGISTRATION
    assert container.get_service("K") == 1


def test_container_concurrent_registration() -> None:
    container = ModelONEXContainer()
    barrier = threading.Barrier(8)

    def work(worker: int) -> None:
        barrier.wait()
        for index in range(200):
            container.register_service(f"S{worker}-{index}", index)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(container.get_service(f"S{w}-{i}") == i for w in range(8) for i in range(200))


# -- routing sections ------------------------------------------------------------------------


def test_entry_strips_keys_and_defaults() -> None:
    entry = ModelHandlerRoutingEntry(routing_key="  K ", handler_key=" h ")
    assert (entry.routing_key, entry.handler_key, entry.priority) == ("K", "h", 0)
    assert entry.message_category is None
    assert entry.output_events == ()


@pytest.mark.parametrize(
    "data",
    [
        {"routing_key": "", "handler_key": "h"},
        {"routing_key": "  ", "handler_key": "h"},
        {"routing_key": "K", "handler_key": ""},
        {"routing_key": "K", "handler_key": "h", "priority": 1001},
        {"routing_key": "K", "handler_key": "h", "priority": -1001},
        {"routing_key": "K", "handler_key": "h", "priority": "1"},
        {"routing_key": "K", "handler_key": "h", "message_category": "evt"},
        {"routing_key": "K", "handler_kye": "h"},
    ],
)
def test_entry_rejects(data: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        ModelHandlerRoutingEntry.model_validate(data)


def test_entry_unknown_field_is_named() -> None:
    with pytest.raises(ValidationError, match="handler_kye"):
        ModelHandlerRoutingEntry.model_validate(
            {"routing_key": "K", "handler_key": "h", "handler_kye": "x"}
        )


def test_subcontract_defaults_and_order() -> None:
    routing = ModelHandlerRoutingSubcontract.model_validate(
        {
            "version": "1.0.0",
            "handlers": [
                {"routing_key": "A", "handler_key": "a", "priority": 2},
                {"routing_key": "B", "handler_key": "b"},
                {"routing_key": "C", "handler_key": "c", "priority": -1},
                {"routing_key": "D", "handler_key": "d"},
            ],
        }
    )
    assert routing.routing_strategy is EnumHandlerRoutingStrategy.PAYLOAD_TYPE_MATCH
    assert routing.version == ModelSemVer(major=1, minor=0, patch=0)
    assert [e.handler_key for e in routing.ordered_entries()] == ["c", "b", "d", "a"]


@pytest.mark.parametrize(
    ("data", "match"),
    [
        ({"handlers": []}, "no handlers and no default_handler"),
        ({}, "no handlers and no default_handler"),
        (
            {
                "handlers": [
                    {"routing_key": "K", "handler_key": "h"},
                    {"routing_key": "K", "handler_key": "h"},
                ]
            },
            "repeats routing_key 'K'",
        ),
        ({"default_handler": "  "}, "default_handler"),
        ({"default_handler": "h", "routing_strategy": "regex"}, "routing_strategy"),
        ({"default_handler": "h", "extra": 1}, "extra"),
    ],
)
def test_subcontract_rejects(data: dict[str, Any], match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        ModelHandlerRoutingSubcontract.model_validate(data)


def test_subcontract_allows_fan_out_and_default_only() -> None:
    fan_out = ModelHandlerRoutingSubcontract.model_validate(
        {
            "handlers": [
                {"routing_key": "K", "handler_key": "a"},
                {"routing_key": "K", "handler_key": "b"},
            ]
        }
    )
    assert len(fan_out.handlers) == 2
    assert ModelHandlerRoutingSubcontract(default_handler=" d ").default_handler == "d"
