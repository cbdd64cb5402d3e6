"""Tests of ServiceHandlerRegistry: validation, freeze, indexes, threads."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from omnibase_core.enums import EnumCoreErrorCode, EnumMessageCategory, EnumNodeKind
from omnibase_core.models.errors import ModelOnexError
from omnibase_core.models.primitives import ContractKey
from omnibase_core.protocols import ProtocolHandlerRegistry, ProtocolMessageHandler
from omnibase_core.services import ServiceHandlerRegistry

E, C, INT = EnumMessageCategory.EVENT, EnumMessageCategory.COMMAND, EnumMessageCategory.INTENT
ORCH, EFF, RED, COMP = (
    EnumNodeKind.ORCHESTRATOR,
    EnumNodeKind.EFFECT,
    EnumNodeKind.REDUCER,
    EnumNodeKind.COMPUTE,
)

MakeHandler = Callable[..., Any]


@pytest.fixture
def registry() -> ServiceHandlerRegistry:
    return ServiceHandlerRegistry()


def test_implements_protocol(registry: ServiceHandlerRegistry) -> None:
    assert isinstance(registry, ProtocolHandlerRegistry)


def test_fake_handler_satisfies_protocol(make_handler: MakeHandler) -> None:
    assert isinstance(make_handler("h"), ProtocolMessageHandler)


def test_empty_registry(registry: ServiceHandlerRegistry) -> None:
    assert registry.handler_count == 0
    assert not registry.is_frozen
    assert registry.get_handlers() == []
    assert registry.get_handler_by_id("x") is None


@pytest.mark.parametrize(
    ("category", "node_kind"),
    [(E, ORCH), (E, RED), (C, ORCH), (C, EFF), (INT, EFF), (INT, ORCH)],
)
def test_legal_shapes_register(
    registry: ServiceHandlerRegistry, make_handler: MakeHandler, category: Any, node_kind: Any
) -> None:
    handler = make_handler("h", category, node_kind)
    registry.register_handler(handler)
    assert registry.get_handler_by_id("h") is handler


@pytest.mark.parametrize(
    ("category", "node_kind", "allowed"),
    [
        (E, EFF, "ORCHESTRATOR or REDUCER"),
        (E, COMP, "ORCHESTRATOR or REDUCER"),
        (C, RED, "EFFECT or ORCHESTRATOR"),
        (C, COMP, "EFFECT or ORCHESTRATOR"),
        (INT, RED, "EFFECT or ORCHESTRATOR"),
        (INT, COMP, "EFFECT or ORCHESTRATOR"),
    ],
)
def test_illegal_shapes_rejected(
    registry: ServiceHandlerRegistry,
    make_handler: MakeHandler,
    category: Any,
    node_kind: Any,
    allowed: str,
) -> None:
    with pytest.raises(ModelOnexError) as info:
        registry.register_handler(make_handler("bad", category, node_kind))
    error = info.value
    assert error.error_code is EnumCoreErrorCode.VALIDATION_ERROR
    assert "'bad'" in error.message
    assert f"{category.name} handler must run in {allowed}" in error.message
    assert error.context["node_kind"] == node_kind.value
    assert registry.handler_count == 0


@pytest.mark.parametrize(
    "missing", ["handler_id", "category", "message_types", "node_kind", "handle"]
)
def test_missing_attribute_rejected(registry: ServiceHandlerRegistry, missing: str) -> None:
    attrs: dict[str, Any] = {
        "handler_id": "h",
        "category": E,
        "message_types": set(),
        "node_kind": ORCH,
        "handle": lambda envelope: None,
    }
    del attrs[missing]
    handler = type("Partial", (), attrs)()
    with pytest.raises(ModelOnexError) as info:
        registry.register_handler(handler)
    assert info.value.error_code is EnumCoreErrorCode.INVALID_PARAMETER
    assert missing in info.value.message
    assert list(info.value.context["missing"]) == [missing]


def test_none_handler_rejected(registry: ServiceHandlerRegistry) -> None:
    with pytest.raises(ModelOnexError) as info:
        registry.register_handler(None)  # type: ignore[arg-type]
    assert info.value.error_code is EnumCoreErrorCode.INVALID_PARAMETER
    assert "None" in info.value.message


@pytest.mark.parametrize("bad_id", ["", "   ", None, 42, b"h"])
def test_bad_handler_id_rejected(
    registry: ServiceHandlerRegistry, make_handler: MakeHandler, bad_id: Any
) -> None:
    with pytest.raises(ModelOnexError) as info:
        registry.register_handler(make_handler(bad_id))
    assert info.value.error_code is EnumCoreErrorCode.INVALID_PARAMETER
    assert "non-empty string" in info.value.message
    assert repr(bad_id) in info.value.message


@pytest.mark.parametrize("bad_id", [" h", "h ", "\th\n", "h\u200b", "\ufeffh"])
def test_padded_handler_id_rejected(
    registry: ServiceHandlerRegistry, make_handler: MakeHandler, bad_id: str
) -> None:
    with pytest.raises(ModelOnexError) as info:
        registry.register_handler(make_handler(bad_id))
    assert info.value.error_code is EnumCoreErrorCode.INVALID_PARAMETER
    assert "whitespace or an invisible character" in info.value.message


_CONTRACT_KEY: TypeAdapter[str] = TypeAdapter(ContractKey)
_ids = st.text(
    st.sampled_from(["h", "-", ".", " ", "\t", "\u200b", "\u00ad", "\ufeff", "\u3164", "\u00e9"]),
    max_size=6,
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(handler_id=_ids)
def test_registry_accepts_exactly_the_ids_a_contract_can_name(
    make_handler: MakeHandler, handler_id: str
) -> None:
    try:
        reachable = _CONTRACT_KEY.validate_python(handler_id) == handler_id
    except ValidationError:
        reachable = False
    registry = ServiceHandlerRegistry()
    if reachable:
        registry.register_handler(make_handler(handler_id))
        assert registry.get_handler_by_id(handler_id) is not None
    else:
        with pytest.raises(ModelOnexError) as info:
            registry.register_handler(make_handler(handler_id))
        assert info.value.error_code is EnumCoreErrorCode.INVALID_PARAMETER
        assert repr(handler_id) in info.value.message


BAD_ATTRIBUTES: list[tuple[str, Any, str]] = [
    *(("category", bad, "expected an EnumMessageCategory") for bad in ("event", "EVENT", 1, None)),
    *(("node_kind", bad, "expected an EnumNodeKind") for bad in ("orchestrator", None, 3)),
    *(
        ("message_types", bad, "expected a set of payload type names")
        for bad in ("ModelA", b"x", 5, {1, 2}, None)
    ),
    ("handle", "not callable", ".handle is not callable"),
]


@pytest.mark.parametrize(("attribute", "bad", "fragment"), BAD_ATTRIBUTES)
def test_malformed_attribute_rejected_naming_it(
    registry: ServiceHandlerRegistry,
    make_handler: MakeHandler,
    attribute: str,
    bad: Any,
    fragment: str,
) -> None:
    handler = make_handler("h")
    setattr(handler, attribute, bad)
    with pytest.raises(ModelOnexError) as info:
        registry.register_handler(handler)
    assert info.value.error_code is EnumCoreErrorCode.INVALID_PARAMETER
    assert fragment in info.value.message
    assert "FakeHandler(handler_id='h')" in info.value.message
    assert registry.handler_count == 0


def test_duplicate_id_names_id_and_holder(
    registry: ServiceHandlerRegistry, make_handler: MakeHandler
) -> None:
    first = make_handler("dup")
    registry.register_handler(first)
    with pytest.raises(ModelOnexError) as info:
        registry.register_handler(make_handler("dup", C, EFF))
    error = info.value
    assert error.error_code is EnumCoreErrorCode.DUPLICATE_REGISTRATION
    assert "'dup'" in error.message
    assert "FakeHandler(handler_id='dup')" in error.message
    assert error.context["handler_id"] == "dup"
    assert registry.get_handler_by_id("dup") is first
    assert registry.handler_count == 1


def test_same_object_twice_is_duplicate(
    registry: ServiceHandlerRegistry, make_handler: MakeHandler
) -> None:
    handler = make_handler("h")
    registry.register_handler(handler)
    with pytest.raises(ModelOnexError) as info:
        registry.register_handler(handler)
    assert info.value.error_code is EnumCoreErrorCode.DUPLICATE_REGISTRATION


def test_register_after_freeze_rejected(
    registry: ServiceHandlerRegistry, make_handler: MakeHandler
) -> None:
    registry.freeze()
    with pytest.raises(ModelOnexError) as info:
        registry.register_handler(make_handler("late"))
    error = info.value
    assert error.error_code is EnumCoreErrorCode.INVALID_STATE
    assert "'late'" in error.message
    assert "before calling freeze()" in error.message
    assert registry.handler_count == 0


def test_invalid_handler_after_freeze_reports_validation_first(
    registry: ServiceHandlerRegistry, make_handler: MakeHandler
) -> None:
    registry.freeze()
    with pytest.raises(ModelOnexError) as info:
        registry.register_handler(make_handler(""))
    assert info.value.error_code is EnumCoreErrorCode.INVALID_PARAMETER


def test_unregister_before_freeze(
    registry: ServiceHandlerRegistry, make_handler: MakeHandler
) -> None:
    registry.register_handler(make_handler("a"))
    assert registry.unregister_handler("a") is True
    assert registry.unregister_handler("a") is False
    assert registry.unregister_handler("never") is False
    assert registry.handler_count == 0
    registry.register_handler(make_handler("a", C, EFF))
    assert registry.get_handler_by_id("a").category is C  # type: ignore[union-attr]


def test_unregister_after_freeze_rejected(
    registry: ServiceHandlerRegistry, make_handler: MakeHandler
) -> None:
    registry.register_handler(make_handler("a"))
    registry.freeze()
    with pytest.raises(ModelOnexError) as info:
        registry.unregister_handler("a")
    assert info.value.error_code is EnumCoreErrorCode.INVALID_STATE
    assert "'a'" in info.value.message
    assert registry.get_handler_by_id("a") is not None


def test_freeze_is_idempotent(registry: ServiceHandlerRegistry, make_handler: MakeHandler) -> None:
    handler = make_handler("a")
    registry.register_handler(handler)
    registry.freeze()
    registry.freeze()
    assert registry.is_frozen
    assert registry.handler_count == 1
    assert registry.get_handler_by_id("a") is handler
    assert registry.get_handlers(category=E) == [handler]
    with pytest.raises(ModelOnexError):
        registry.register_handler(make_handler("b"))


@pytest.fixture
def populated(make_handler: MakeHandler) -> tuple[ServiceHandlerRegistry, list[Any]]:
    registry = ServiceHandlerRegistry()
    handlers = [
        make_handler("e1", E, ORCH, {"A", "B"}),
        make_handler("c1", C, EFF, {"A"}),
        make_handler("e2", E, RED, {"B"}),
        make_handler("i1", INT, EFF, {"Tick"}),
        make_handler("e3", E, ORCH, set()),
    ]
    for handler in handlers:
        registry.register_handler(handler)
    return registry, handlers


QUERIES: list[tuple[Any, Any, list[str]]] = [
    (None, None, ["e1", "c1", "e2", "i1", "e3"]),
    (E, None, ["e1", "e2", "e3"]),
    (C, None, ["c1"]),
    (INT, None, ["i1"]),
    (None, "A", ["e1", "c1"]),
    (None, "B", ["e1", "e2"]),
    (None, "Tick", ["i1"]),
    (None, "Nope", []),
    (E, "A", ["e1"]),
    (C, "A", ["c1"]),
    (E, "B", ["e1", "e2"]),
    (INT, "A", []),
    ("event", "B", ["e1", "e2"]),
]


@pytest.mark.parametrize("frozen", [False, True])
@pytest.mark.parametrize(("category", "message_type", "expected"), QUERIES)
def test_get_handlers_filters_in_registration_order(
    populated: tuple[ServiceHandlerRegistry, list[Any]],
    frozen: bool,
    category: Any,
    message_type: Any,
    expected: list[str],
) -> None:
    registry, _ = populated
    if frozen:
        registry.freeze()
    found = registry.get_handlers(category=category, message_type=message_type)
    assert [handler.handler_id for handler in found] == expected


@pytest.mark.parametrize("frozen", [False, True])
def test_get_handlers_returns_new_list(
    populated: tuple[ServiceHandlerRegistry, list[Any]], frozen: bool
) -> None:
    registry, handlers = populated
    if frozen:
        registry.freeze()
    first = registry.get_handlers(category=E)
    first.clear()
    second = registry.get_handlers(category=E)
    assert len(second) == 3
    assert second is not registry.get_handlers(category=E)
    everything = registry.get_handlers()
    everything.clear()
    assert registry.get_handlers() == handlers


def test_reads_after_freeze_by_id(populated: tuple[ServiceHandlerRegistry, list[Any]]) -> None:
    registry, handlers = populated
    registry.freeze()
    for handler in handlers:
        assert registry.get_handler_by_id(handler.handler_id) is handler
    assert registry.get_handler_by_id("missing") is None
    assert registry.handler_count == len(handlers)


def test_many_threads_register_distinct_ids(make_handler: MakeHandler) -> None:
    registry = ServiceHandlerRegistry()
    threads_n, per_thread = 16, 200
    barrier = threading.Barrier(threads_n)
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        barrier.wait()
        try:
            for index in range(per_thread):
                registry.register_handler(
                    make_handler(f"w{worker}-{index}", E, ORCH, {f"T{index % 7}"})
                )
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(threads_n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert registry.handler_count == threads_n * per_thread
    registry.freeze()
    for worker in range(threads_n):
        ids = [
            h.handler_id for h in registry.get_handlers() if h.handler_id.startswith(f"w{worker}-")
        ]
        assert ids == [f"w{worker}-{index}" for index in range(per_thread)]
    assert len(registry.get_handlers(message_type="T0")) == threads_n * len(range(0, per_thread, 7))


def test_many_threads_race_on_same_id_exactly_one_wins(make_handler: MakeHandler) -> None:
    registry = ServiceHandlerRegistry()
    threads_n, ids = 12, 300
    barrier = threading.Barrier(threads_n)
    wins = [0] * threads_n
    codes: list[EnumCoreErrorCode] = []
    lock = threading.Lock()

    def work(worker: int) -> None:
        barrier.wait()
        for index in range(ids):
            try:
                registry.register_handler(make_handler(f"h{index}"))
                wins[worker] += 1
            except ModelOnexError as exc:
                with lock:
                    codes.append(exc.error_code)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(threads_n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(wins) == ids
    assert len(codes) == ids * (threads_n - 1)
    assert set(codes) == {EnumCoreErrorCode.DUPLICATE_REGISTRATION}


def test_freeze_racing_registration_is_all_or_nothing(make_handler: MakeHandler) -> None:
    registry = ServiceHandlerRegistry()
    threads_n = 8
    barrier = threading.Barrier(threads_n + 1)
    accepted: list[str] = []
    rejected: list[str] = []
    lock = threading.Lock()

    def work(worker: int) -> None:
        barrier.wait()
        for index in range(300):
            handler_id = f"w{worker}-{index}"
            try:
                registry.register_handler(make_handler(handler_id))
                with lock:
                    accepted.append(handler_id)
            except ModelOnexError as exc:
                with lock:
                    rejected.append(f"{exc.error_code.name}:{handler_id}")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(threads_n)]
    for thread in threads:
        thread.start()
    barrier.wait()
    registry.freeze()
    for thread in threads:
        thread.join()
    assert len(accepted) + len(rejected) == threads_n * 300
    assert all(item.startswith("INVALID_STATE:") for item in rejected)
    assert registry.handler_count == len(accepted)
    assert {h.handler_id for h in registry.get_handlers()} == set(accepted)


def test_many_threads_read_after_freeze(
    populated: tuple[ServiceHandlerRegistry, list[Any]],
) -> None:
    registry, handlers = populated
    registry.freeze()
    expected = {
        (category, message_type): [
            h.handler_id for h in registry.get_handlers(category, message_type)
        ]
        for category, message_type, _ in QUERIES
    }
    failures: list[str] = []
    barrier = threading.Barrier(10)

    def work() -> None:
        barrier.wait()
        for _ in range(500):
            for (category, message_type), ids in expected.items():
                got = [h.handler_id for h in registry.get_handlers(category, message_type)]
                if got != ids:  # pragma: no cover - reported below
                    failures.append(f"{category}/{message_type}: {got}")
            if registry.get_handler_by_id("e2") is not handlers[2]:  # pragma: no cover
                failures.append("by id")

    threads = [threading.Thread(target=work) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
