"""Contracts written in upstream ONEX's live shape: a corpus that validates, and every bad
variant failing with one located line (schema errors, and handler imports)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from omnibase_core.cli.cli_onex import main
from omnibase_core.contracts import (
    build_handler_registry,
    load_contract,
    load_contract_located,
    problems_from_error,
)
from omnibase_core.enums import (
    EnumCoreErrorCode,
    EnumHandlerRoutingStrategy,
    EnumMessageCategory,
    EnumNodeKind,
)
from omnibase_core.models.container import ModelONEXContainer
from omnibase_core.models.contracts.subcontracts import (
    ModelClassReference,
    ModelHandlerRoutingEntry,
    ModelHandlerRoutingSubcontract,
)
from omnibase_core.models.errors import ModelOnexError
from omnibase_core.models.primitives import ModelSemVer
from omnibase_core.nodes import NodeOrchestrator

HERE = Path(__file__).parent
LIVE = HERE / "live_contracts"
BAD_LIVE = HERE / "bad_live_contracts"
BAD_IMPORTS = HERE / "bad_handler_imports"


@pytest.fixture
def corpus_on_path(monkeypatch: pytest.MonkeyPatch) -> Path:
    """The corpus folder on ``sys.path`` (its handler modules import by name) and as cwd."""
    monkeypatch.syspath_prepend(str(LIVE))
    monkeypatch.chdir(LIVE)
    return LIVE


def _corpus() -> list[Path]:
    return sorted(LIVE.glob("*.yaml"))


@pytest.mark.parametrize("path", _corpus(), ids=lambda path: path.name)
def test_every_corpus_contract_loads(path: Path) -> None:
    contract = load_contract(path)
    routing = contract.handler_routing
    assert routing is not None
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    for entry, written in zip(routing.handlers, raw["handler_routing"]["handlers"], strict=True):
        if "handler" in written:
            assert entry.shape == "live"
            assert entry.handler_key == written["handler"]["name"]
        else:
            assert (entry.routing_key, entry.handler_key) == (
                written["routing_key"],
                written["handler_key"],
            )
    expected = raw["handler_routing"].get("version", raw["contract_version"])
    assert routing.version == ModelSemVer.model_validate(expected)


def test_corpus_covers_every_field_strategy_and_category_spelling() -> None:
    entry_keys: set[str] = set()
    section_keys: set[str] = set()
    reference_keys: set[str] = set()
    strategies: set[str] = set()
    categories: set[str] = set()
    kinds: set[str] = set()
    for path in _corpus():
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        kinds.add(raw["node_type"])
        section = raw["handler_routing"]
        section_keys |= set(section)
        strategies.add(section["routing_strategy"].lower())
        for entry in section["handlers"]:
            entry_keys |= set(entry)
            if "message_category" in entry:
                categories.add(entry["message_category"])
            for name in ("handler", "event_model", "input_model", "output_model"):
                if name in entry:
                    reference_keys |= set(entry[name])
    assert entry_keys == set(ModelHandlerRoutingEntry.model_fields)
    assert section_keys == set(ModelHandlerRoutingSubcontract.model_fields)
    assert reference_keys == set(ModelClassReference.model_fields)
    assert strategies == {"payload_type_match", "operation_match", "topic_pattern", "topic_match"}
    assert {"EVENT", "COMMAND", "INTENT"} <= categories
    assert {"event", "command", "intent"} <= categories
    assert {"ORCHESTRATOR_GENERIC", "EFFECT_GENERIC", "Reducer_Generic"} <= kinds


def test_upstream_node_kinds_map_to_the_four_kinds() -> None:
    kinds = {path.name: load_contract(path).node_type for path in _corpus()}
    assert kinds == {
        "both_shapes.yaml": EnumNodeKind.ORCHESTRATOR,
        "ledger_reducer.yaml": EnumNodeKind.REDUCER,
        "registration_orchestrator.yaml": EnumNodeKind.ORCHESTRATOR,
        "registry_effect.yaml": EnumNodeKind.EFFECT,
        "rollout_orchestrator.yaml": EnumNodeKind.ORCHESTRATOR,
    }


def test_corpus_validates_with_its_handler_classes_imported(
    corpus_on_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["contract", "validate", ".", "--import-handlers"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line for line in out if not line.startswith("warning: ")] == [
        "./both_shapes.yaml: ok (canonical and live shapes: 1 canonical, 2 live)",
        "./ledger_reducer.yaml: ok (live shape, 3 entries)",
        "./registration_orchestrator.yaml: ok (live shape, 5 entries)",
        "./registry_effect.yaml: ok (live shape, 5 entries)",
        "./rollout_orchestrator.yaml: ok (live shape, 3 entries)",
        "checked 5 contracts: 5 valid, 0 invalid, 5 warnings",
    ]
    warned = [line.split(": ")[2] for line in out if line.startswith("warning: ")]
    assert warned == [
        "handler_routing.handler_dependencies",
        "handler_routing.execution_mode",
        "handler_routing.partial_failure_handling",
        "handler_routing.aggregation_strategy",
        "handler_routing.max_timeout_seconds",
    ]
    assert all("has no effect" in line for line in out if line.startswith("warning: "))


def test_topic_match_contract_routes_by_exact_topic(corpus_on_path: Path) -> None:
    contract = load_contract(corpus_on_path / "rollout_orchestrator.yaml")
    routing = contract.handler_routing
    assert routing is not None
    assert routing.routing_strategy is EnumHandlerRoutingStrategy.TOPIC_PATTERN
    node = NodeOrchestrator(ModelONEXContainer(), contract)
    command, event = EnumMessageCategory.COMMAND, EnumMessageCategory.EVENT

    def routed(topic: str, category: EnumMessageCategory) -> list[str]:
        return [type(h).__name__ for h in node.route_to_handlers(topic, category)]

    assert routed("onex.cmd.platform.rollout-start.v1", command) == ["HandlerNodeRegistrationAcked"]
    assert routed("onex.evt.platform.rollout-rolled-back.v1", event) == ["HandlerNodeHeartbeat"]
    assert routed("onex.evt.platform.rollout-rolled-back.v2", event) == []
    assert routed("onex.cmd.platform.rollout-start.v1", event) == []


# (file, line, column, field, fragment of the formatted line)
BAD_LIVE_CORPUS = [
    ("dotted_class_name.yaml", 8, 23, "handlers[0].handler.name", "is not a Python class name"),
    (
        "duplicate_live_entry.yaml",
        9,
        7,
        "handlers[1]",
        "repeats operation 'kv.put' -> handler shop.handlers.HandlerPut from handlers[0]",
    ),
    (
        "missing_event_model.yaml",
        7,
        7,
        "handlers[0].event_model",
        "under routing_strategy payload_type_match a live-shape entry routes by event_model or "
        "payload_type; add event_model: {name: ModelPayload, module: package.module}",
    ),
    (
        "missing_operation.yaml",
        7,
        7,
        "handlers[0].operation",
        "routes by operation; add operation:",
    ),
    ("missing_topic.yaml", 7, 7, "handlers[0].topic", "routes by topic or event_type; add topic:"),
    (
        "mixed_shapes.yaml",
        8,
        16,
        "handlers[0].handler",
        "mixes the canonical shape (handler_key) with the live shape (handler, operation); "
        "write either routing_key + handler_key, or handler: {name, module}",
    ),
    (
        "payload_type_disagrees.yaml",
        8,
        21,
        "handlers[0].payload_type",
        "payload_type 'ModelPutRequest' differs from event_model.name 'ModelPut'",
    ),
    ("typo_category.yaml", 9, 25, "handlers[0].message_category", "did you mean 'command'?"),
    (
        "typo_class_reference.yaml",
        8,
        35,
        "handlers[0].handler.modul",
        "unknown field; did you mean 'module'?",
    ),
    ("typo_handler.yaml", 10, 7, "handlers[1].handlr", "unknown field; did you mean 'handler'?"),
    ("typo_node_type.yaml", 3, 12, "", "(got 'effect_generc'); did you mean 'effect'?"),
    (
        "unknown_execution_mode.yaml",
        6,
        19,
        "execution_mode",
        "expected one of: sequential, parallel",
    ),
    (
        "unquoted_merge_value.yaml",
        7,
        18,
        "handlers[0].operation",
        "the plain value '<<' is YAML's merge key, not text; quote it: '<<'",
    ),
]


def test_bad_live_corpus_is_complete() -> None:
    assert sorted(p.name for p in BAD_LIVE.glob("*.yaml")) == [row[0] for row in BAD_LIVE_CORPUS]


@pytest.mark.parametrize(("name", "line", "column", "field", "fragment"), BAD_LIVE_CORPUS)
def test_bad_live_contract_fails_with_one_located_line(
    name: str,
    line: int,
    column: int,
    field: str,
    fragment: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = BAD_LIVE / name
    with pytest.raises(ModelOnexError) as caught:
        load_contract(path)
    (problem,) = problems_from_error(caught.value)
    full_field = "node_type" if name == "typo_node_type.yaml" else f"handler_routing.{field}"
    assert (problem.line, problem.column, problem.field) == (line, column, full_field.rstrip("."))
    assert fragment in problem.format()
    assert main(["contract", "validate", "--quiet", str(path)]) == 1
    assert capsys.readouterr().out.splitlines() == [problem.format()]


# (file, severity through the CLI, column, fragment); every one is on line 10
BAD_IMPORTS_CORPUS = [
    ("bad_attributes.yaml", "error", 23, "CategoryIsAString is not a usable message handler"),
    ("constructor_fails.yaml", "warning", 23, "raised RuntimeError: needs a database"),
    ("exits_on_import.yaml", "error", 44, "importing it called sys.exit(3)"),
    ("missing_class.yaml", "error", 23, "did you mean 'HandlerNodeHeartbeat'?"),
    ("needs_more_arguments.yaml", "warning", 23, "needs arguments other than the node's"),
    ("no_handle_method.yaml", "error", 23, "is not a message handler: it has no handle()"),
    ("not_a_class.yaml", "error", 23, "handle_something is a function, not a class"),
    ("sync_handle.yaml", "error", 23, "is not a message handler: handle() is not async"),
    ("unimportable_module.yaml", "error", 43, "cannot import module 'live_corpus_no_such_module'"),
]


def test_bad_imports_corpus_is_complete() -> None:
    assert sorted(p.name for p in BAD_IMPORTS.glob("*.yaml")) == [
        row[0] for row in BAD_IMPORTS_CORPUS
    ]


@pytest.mark.usefixtures("corpus_on_path")
@pytest.mark.parametrize(("name", "severity", "column", "fragment"), BAD_IMPORTS_CORPUS)
def test_bad_handler_class_fails_with_one_located_line(
    name: str,
    severity: str,
    column: int,
    fragment: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = BAD_IMPORTS / name
    contract = load_contract(path)  # the schema is fine: only the class is wrong
    with pytest.raises(ModelOnexError) as caught:
        build_handler_registry(contract, ModelONEXContainer())
    assert caught.value.error_code is EnumCoreErrorCode.CONTRACT_VALIDATION_ERROR
    (problem,) = problems_from_error(caught.value)
    assert (problem.path, problem.line, problem.column) == (str(path), 10, column)
    assert problem.field.startswith("handler_routing.handlers[1].handler.")
    assert fragment in problem.format()
    assert caught.value.message.splitlines()[1:] == [problem.format()]

    status = main(["contract", "validate", "-q", "--import-handlers", str(path)])
    assert status == (1 if severity == "error" else 0)
    prefix = "warning: " if severity == "warning" else ""
    assert capsys.readouterr().out.splitlines() == [prefix + problem.format()]


def test_without_import_handlers_the_classes_are_not_imported(
    corpus_on_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["contract", "validate", "-q", str(BAD_IMPORTS)]) == 0
    assert capsys.readouterr().out == ""


def test_document_positions_point_at_live_fields() -> None:
    contract, document = load_contract_located(LIVE / "ledger_reducer.yaml")
    routing = contract.handler_routing
    assert routing is not None
    fields: list[Any] = [entry.routing_key_field for entry in routing.handlers]
    assert fields == [("topic",), ("topic",), ("event_type",)]
    path = ("handler_routing", "handlers", 2, *fields[2])
    assert document.value_position(path) == (20, 19)
