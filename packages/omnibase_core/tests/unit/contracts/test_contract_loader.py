"""Tests of load_contract: typed contracts and located, complete error reports."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from omnibase_core.contracts import (
    DEFAULT_MAX_BYTES,
    load_contract,
    load_contract_located,
    load_contract_text,
    problems_from_error,
)
from omnibase_core.enums import EnumCoreErrorCode, EnumHandlerRoutingStrategy, EnumNodeKind
from omnibase_core.models.contracts import ModelContract, ModelContractProblem
from omnibase_core.models.errors import ModelOnexError
from omnibase_core.models.primitives import ModelSemVer

BAD = Path(__file__).parent / "bad_contracts"

VALID = """\
name: node_demo
contract_version: 1.2.3
node_type: Orchestrator
description: Routes demo events.
handler_routing:
  version: "1.0.0"
  routing_strategy: payload_type_match
  handlers:
    - routing_key: ModelA
      handler_key: handler-a
      message_category: event
      priority: -5
      output_events: [ModelADone]
    - routing_key: ModelA
      handler_key: handler-audit
  default_handler: handler-fallback
timeouts:
  liveness_interval_seconds: 60
"""


def _problems(
    path_or_text: Path | str | bytes,
) -> tuple[ModelOnexError, list[ModelContractProblem]]:
    def load() -> ModelContract:
        if isinstance(path_or_text, Path):
            return load_contract(path_or_text)
        return load_contract_text(path_or_text, source="mem.yaml")

    with pytest.raises(ModelOnexError) as caught:
        load()
    error = caught.value
    assert error.error_code is EnumCoreErrorCode.CONTRACT_VALIDATION_ERROR
    return error, problems_from_error(error)


def test_valid_contract_loads_typed() -> None:
    contract = load_contract_text(VALID)
    assert contract.name == "node_demo"
    assert contract.contract_version == ModelSemVer(major=1, minor=2, patch=3)
    assert contract.node_type is EnumNodeKind.ORCHESTRATOR
    assert contract.description == "Routes demo events."
    routing = contract.handler_routing
    assert routing is not None
    assert routing.routing_strategy is EnumHandlerRoutingStrategy.PAYLOAD_TYPE_MATCH
    assert [entry.handler_key for entry in routing.ordered_entries()] == [
        "handler-a",
        "handler-audit",
    ]
    assert routing.default_handler == "handler-fallback"
    assert dict(contract.node_sections) == {"timeouts": {"liveness_interval_seconds": 60}}
    assert contract.model_extra == {"timeouts": {"liveness_interval_seconds": 60}}


def test_load_contract_reads_a_file_and_returns_positions(tmp_path: Path) -> None:
    path = tmp_path / "contract.yaml"
    path.write_text(VALID, encoding="utf-8")
    assert load_contract(path) == load_contract_text(VALID)
    contract, document = load_contract_located(str(path))
    assert contract.name == "node_demo"
    assert document.source == str(path)
    assert document.value_position(("handler_routing", "handlers", 1, "handler_key")) == (15, 20)


def test_contract_without_routing_is_valid() -> None:
    contract = load_contract_text(
        "name: n\ncontract_version: {major: 0, minor: 1, patch: 0}\nnode_type: EFFECT\n"
    )
    assert contract.handler_routing is None
    assert contract.node_type is EnumNodeKind.EFFECT


# (file, line, column, field, fragment of the message)
CORPUS = [
    ("syntax_error.yaml", 6, 1, "", "YAML syntax error: did not find expected ',' or ']'"),
    (
        "duplicate_key.yaml",
        9,
        7,
        "handler_routing.handlers[0].handler_key",
        "duplicate key 'handler_key': already defined at line 8",
    ),
    (
        "unknown_field_handler_kye.yaml",
        10,
        7,
        "handler_routing.handlers[1].handler_kye",
        "unknown field; did you mean 'handler_key'?",
    ),
    (
        "wrong_type_priority.yaml",
        9,
        17,
        "handler_routing.handlers[0].priority",
        "Input should be a valid integer (got 'high')",
    ),
    (
        "empty_key.yaml",
        6,
        20,
        "handler_routing.handlers[0].routing_key",
        "is empty: it holds no visible character (got '   ')",
    ),
    (
        "unknown_strategy.yaml",
        5,
        21,
        "handler_routing.routing_strategy",
        "(got 'topic_patern'); did you mean 'topic_pattern'?",
    ),
    (
        "python_tag.yaml",
        4,
        14,
        "description",
        "tag '!!python/object/apply:os.system' is not allowed",
    ),
    ("alias_bomb.yaml", 7, 36, "d[7]", "aliases expand the document beyond 10000 nodes"),
    ("top_level_list.yaml", 2, 1, "", "top level of a contract must be a mapping"),
    ("missing_required_field.yaml", 1, 1, "contract_version", "required field is missing"),
    (
        "priority_out_of_range.yaml",
        8,
        17,
        "handler_routing.handlers[0].priority",
        "less than or equal to 1000 (got 5000)",
    ),
    (
        "duplicate_pair.yaml",
        10,
        7,
        "handler_routing.handlers[2]",
        "repeats routing_key 'ModelA' -> handler_key 'handler-a'",
    ),
    ("no_handlers_no_default.yaml", 5, 3, "handler_routing", "no handlers and no default_handler"),
]


def test_corpus_is_complete() -> None:
    assert sorted(path.name for path in BAD.glob("*.yaml")) == sorted(row[0] for row in CORPUS)


@pytest.mark.parametrize(("name", "line", "column", "field", "fragment"), CORPUS)
def test_bad_contract_is_reported_at_its_line(
    name: str, line: int, column: int, field: str, fragment: str
) -> None:
    path = BAD / name
    error, problems = _problems(path)
    first = problems[0]
    assert (first.path, first.line, first.column, first.field) == (str(path), line, column, field)
    assert fragment in first.format()
    assert first.format().startswith(f"{path}:{line}:{column}: {field + ': ' if field else ''}")
    assert first.format() in error.message.splitlines()
    assert error.context["source"] == str(path)


def test_typo_is_one_line_naming_the_field_it_meant() -> None:
    _, problems = _problems(
        "name: n\ncontract_version: 1.0.0\nnode_type: effect\nhandler_routing:\n"
        "  handlers:\n    - routing_key: a\n      handler_kye: h\n"
    )
    assert [(p.line, p.column, p.field, p.message, p.hint) for p in problems] == [
        (
            7,
            7,
            "handler_routing.handlers[0].handler_kye",
            "unknown field",
            "did you mean 'handler_key'?",
        ),
    ]


def test_all_problems_come_in_file_order_in_one_error() -> None:
    text = (
        "name: ''\n"
        "contract_version: 1.0\n"
        "node_type: orch\n"
        "handler_routing:\n"
        "  handlers:\n"
        "    - routing_key: A\n"
        "      handler_key: a\n"
        "      priority: x\n"
        "      message_category: evnt\n"
        "  defualt_handler: d\n"
    )
    error, problems = _problems(text)
    assert [(p.line, p.column, p.field) for p in problems] == [
        (1, 7, "name"),
        (2, 19, "contract_version"),
        (3, 12, "node_type"),
        (8, 17, "handler_routing.handlers[0].priority"),
        (9, 25, "handler_routing.handlers[0].message_category"),
        (10, 3, "handler_routing.defualt_handler"),
    ]
    assert problems[-1].hint == "did you mean 'default_handler'?"
    assert problems[4].hint == "did you mean 'event'?"
    assert problems[2].hint == "did you mean 'orchestrator'?"
    lines = error.message.splitlines()
    assert lines[0].startswith("load_contract: contract mem.yaml is invalid (6 problems)")
    assert lines[1:] == [p.format() for p in problems]
    assert str(error).startswith("ONEX_CORE_CONTRACT_VALIDATION_ERROR: load_contract:")
    context_problems: list[dict[str, Any]] = list(error.context["problems"])
    assert context_problems[0] == {
        "path": "mem.yaml",
        "line": 1,
        "column": 7,
        "field": "name",
        "message": "is empty: it holds no visible character (got '')",
        "hint": "write a visible name (whitespace and invisible characters do not count)",
        "severity": "error",
    }


def test_missing_field_in_nested_mapping_points_at_the_mapping() -> None:
    _, problems = _problems(
        "name: n\ncontract_version: 1.0.0\nnode_type: effect\nhandler_routing:\n"
        "  handlers:\n    - routing_key: a\n"
    )
    assert [(p.line, p.column, p.field) for p in problems] == [
        (6, 7, "handler_routing.handlers[0].handler_key")
    ]


def test_long_values_are_truncated_in_messages() -> None:
    _, problems = _problems("name: n\ncontract_version: 1.0.0\nnode_type: " + "x" * 500 + "\n")
    assert len(problems[0].message) < 300
    assert "..." in problems[0].message


def test_huge_file_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    path.write_bytes(b"name: n\n" + b"# padding padding padding\n" * (DEFAULT_MAX_BYTES // 26 + 10))
    _, problems = _problems(path)
    assert len(problems) == 1
    assert problems[0].message.startswith(f"file is {path.stat().st_size} bytes")
    assert (problems[0].line, problems[0].column) == (1, 1)
    with pytest.raises(ModelOnexError, match="contract_version: required field is missing"):
        load_contract(path, max_bytes=2 * DEFAULT_MAX_BYTES)


def test_max_bytes_is_configurable() -> None:
    with pytest.raises(ModelOnexError, match="more than the limit of 10 bytes"):
        load_contract_text(VALID, max_bytes=10)


def test_non_utf8_file_is_refused_with_its_offset(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(
        "name: n\ncontract_version: 1.0.0\nnode_type: effect\ndescription: café\n".encode("latin-1")
    )
    _, problems = _problems(path)
    assert (problems[0].line, problems[0].column) == (4, 17)
    assert "byte 0xe9 at offset 66 is not valid UTF-8" in problems[0].message


@pytest.mark.parametrize("make", [lambda p: p / "absent.yaml", lambda p: p])
def test_unreadable_path_is_file_not_found(tmp_path: Path, make: Any) -> None:
    path = make(tmp_path)
    with pytest.raises(ModelOnexError) as caught:
        load_contract(path)
    assert caught.value.error_code is EnumCoreErrorCode.FILE_NOT_FOUND
    assert str(path) in caught.value.message
    assert caught.value.context["source"] == str(path)


def test_error_survives_pickling() -> None:
    error, problems = _problems(BAD / "duplicate_pair.yaml")
    copy = pickle.loads(pickle.dumps(error))
    assert problems_from_error(copy) == problems


_NAMES = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJ_-.*", min_size=1, max_size=12)
_ENTRY = st.fixed_dictionaries(
    {"routing_key": _NAMES, "handler_key": _NAMES},
    optional={
        "priority": st.integers(min_value=-1000, max_value=1000),
        "message_category": st.sampled_from(["event", "command", "intent"]),
        "output_events": st.lists(_NAMES, max_size=3),
    },
)


@st.composite
def _contracts(draw: st.DrawFn) -> dict[str, Any]:
    entries = draw(
        st.lists(
            _ENTRY, min_size=1, max_size=8, unique_by=lambda e: (e["routing_key"], e["handler_key"])
        )
    )
    contract: dict[str, Any] = {
        "name": draw(_NAMES),
        "contract_version": draw(
            st.sampled_from(["1.0.0", "0.2.10", {"major": 3, "minor": 1, "patch": 4}])
        ),
        "node_type": draw(st.sampled_from(["orchestrator", "EFFECT", "Compute", "reducer"])),
        "handler_routing": {
            "routing_strategy": draw(
                st.sampled_from([s.value for s in EnumHandlerRoutingStrategy])
            ),
            "handlers": entries,
        },
        "extra_section": draw(st.dictionaries(_NAMES, st.integers(), max_size=3)),
    }
    if draw(st.booleans()):
        contract["handler_routing"]["default_handler"] = draw(_NAMES)
    return contract


@settings(max_examples=100, deadline=None)
@given(data=_contracts(), flow=st.booleans())
def test_any_valid_contract_round_trips_through_yaml(data: dict[str, Any], flow: bool) -> None:
    text = yaml.safe_dump(data, default_flow_style=flow, sort_keys=False)
    assert load_contract_text(text) == ModelContract.model_validate(data)


# -- handler_routing.version comes from contract_version --------------------------------------

ROUTING_WITHOUT_VERSION = "handler_routing:\n  handlers:\n    - {routing_key: A, handler_key: a}\n"


@settings(max_examples=50, deadline=None)
@given(
    version=st.tuples(st.integers(0, 10**6), st.integers(0, 10**6), st.integers(0, 10**6)),
    as_mapping=st.booleans(),
)
def test_routing_version_defaults_to_contract_version(
    version: tuple[int, int, int], as_mapping: bool
) -> None:
    major, minor, patch = version
    written = (
        f"{{major: {major}, minor: {minor}, patch: {patch}}}"
        if as_mapping
        else f'"{major}.{minor}.{patch}"'
    )
    contract = load_contract_text(
        f"name: n\ncontract_version: {written}\nnode_type: effect\n" + ROUTING_WITHOUT_VERSION
    )
    assert contract.handler_routing is not None
    assert contract.handler_routing.version == contract.contract_version
    assert contract.handler_routing.version == ModelSemVer(major=major, minor=minor, patch=patch)


def test_an_explicit_routing_version_is_kept() -> None:
    contract = load_contract_text(
        "name: n\ncontract_version: 3.2.1\nnode_type: effect\nhandler_routing:\n"
        "  version: 1.0.0\n  default_handler: d\n"
    )
    assert contract.handler_routing is not None
    assert str(contract.handler_routing.version) == "1.0.0"


@pytest.mark.parametrize("written", ["contract_version: 1.0\n", ""])
def test_a_bad_contract_version_is_reported_once(written: str) -> None:
    _, problems = _problems(f"name: n\n{written}node_type: effect\n" + ROUTING_WITHOUT_VERSION)
    assert [p.field for p in problems] == ["contract_version"]


# -- upstream node kinds, YAML special values -------------------------------------------------


@pytest.mark.parametrize(
    ("written", "kind"),
    [
        ("EFFECT_GENERIC", EnumNodeKind.EFFECT),
        ("compute_generic", EnumNodeKind.COMPUTE),
        ("Orchestrator_Generic", EnumNodeKind.ORCHESTRATOR),
        ("REDUCER_GENERIC", EnumNodeKind.REDUCER),
        ("REDUCER", EnumNodeKind.REDUCER),
    ],
)
def test_upstream_node_kinds_are_read(written: str, kind: EnumNodeKind) -> None:
    contract = load_contract_text(f"name: n\ncontract_version: 1.0.0\nnode_type: {written}\n")
    assert contract.node_type is kind


@pytest.mark.parametrize(
    ("line", "column", "field", "fragment"),
    [
        ("description: <<", 14, "description", "the plain value '<<' is YAML's merge key"),
        ("description: =", 14, "description", "the plain value '=' is YAML's value key"),
        ("tags: [a, =]", 11, "tags[1]", "the plain value '=' is YAML's value key"),
        ("=: x", 1, "", "the plain key '=' is YAML's value key"),
    ],
)
def test_yaml_special_plain_values_must_be_quoted(
    line: str, column: int, field: str, fragment: str
) -> None:
    _, problems = _problems(f"name: n\ncontract_version: 1.0.0\nnode_type: effect\n{line}\n")
    (problem,) = problems
    assert (problem.line, problem.column, problem.field) == (4, column, field)
    assert fragment in problem.message
    assert problem.hint.startswith("quote it: '")


def test_quoted_special_values_are_text() -> None:
    contract = load_contract_text(
        "name: n\ncontract_version: 1.0.0\nnode_type: effect\ndescription: '<<'\nx: '='\n"
    )
    assert contract.description == "<<"
    assert contract.node_sections["x"] == "="
