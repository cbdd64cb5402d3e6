"""Tests of the routing lint and of resolving handler keys against a registry."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from omnibase_core.contracts import (
    check_contract_handlers,
    lint_handler_routing,
    load_contract_text,
    load_contract_text_located,
    pattern_covers,
)
from omnibase_core.enums import EnumMessageCategory, EnumNodeKind
from omnibase_core.models.contracts import ModelContractProblem
from omnibase_core.services import ServiceHandlerRegistry

HEADER = "name: n\ncontract_version: 1.0.0\nnode_type: orchestrator\nhandler_routing:\n"


def _lint(body: str) -> list[ModelContractProblem]:
    contract, document = load_contract_text_located(HEADER + body, source="c.yaml")
    return lint_handler_routing(contract.handler_routing, document)


@pytest.mark.parametrize(
    ("earlier", "later", "covers"),
    [
        ("*", "anything.[ab]?", True),
        ("onex.*", "onex.evt.*", True),
        ("onex.*", "onex.evt.platform.x.v1", True),
        ("onex.evt.*.v1", "onex.evt.platform.x.v1", True),
        ("*.v1", "onex.*.v1", True),
        ("onex.evt.*", "onex.*", False),
        ("onex.evt.*", "onex.cmd.*", False),
        ("onex.?", "onex.*", False),
        ("onex.evt.*.v1", "onex.evt.*.v1.*", False),  # unsure: conservative
        ("onex.[ab]*", "onex.a.x", True),
        ("onex.[ab]*", "onex.c.x", False),
        ("Onex.*", "onex.evt", False),  # case-sensitive
    ],
)
def test_pattern_covers(earlier: str, later: str, covers: bool) -> None:
    assert pattern_covers(earlier, later) is covers


def test_shadowed_topic_pattern_is_warned_at_its_routing_key() -> None:
    warnings = _lint(
        "  routing_strategy: topic_pattern\n"
        "  handlers:\n"
        "    - {routing_key: 'onex.*', handler_key: all}\n"
        "    - {routing_key: 'onex.evt.*', handler_key: events}\n"
        "    - {routing_key: 'other.x', handler_key: other}\n"
    )
    assert [(w.line, w.column, w.field, w.severity) for w in warnings] == [
        (8, 21, "handler_routing.handlers[1].routing_key", "warning")
    ]
    assert "'onex.evt.*' is never taken" in warnings[0].message
    assert "'onex.*' (handlers[0], priority 0)" in warnings[0].message


def test_identical_patterns_are_fan_out_not_shadowing() -> None:
    assert (
        _lint(
            "  routing_strategy: topic_pattern\n"
            "  handlers:\n"
            "    - {routing_key: 'onex.*', handler_key: a}\n"
            "    - {routing_key: 'onex.*', handler_key: b, priority: 9}\n"
        )
        == []
    )


def test_priority_decides_which_pattern_comes_first() -> None:
    body = (
        "  routing_strategy: topic_pattern\n"
        "  handlers:\n"
        "    - {routing_key: 'onex.*', handler_key: all, priority: PRIO}\n"
        "    - {routing_key: 'onex.evt.x', handler_key: x}\n"
    )
    assert _lint(body.replace("PRIO", "1")) == []  # the specific one is tried first
    warnings = _lint(body.replace("PRIO", "-1"))
    assert [w.field for w in warnings] == ["handler_routing.handlers[1].routing_key"]


def test_glob_under_exact_strategy_is_warned() -> None:
    warnings = _lint("  handlers:\n    - {routing_key: 'Model*', handler_key: a}\n")
    assert len(warnings) == 1
    assert "looks like a glob but routing_strategy is payload_type_match" in warnings[0].message


def test_lint_without_routing_or_positions() -> None:
    assert lint_handler_routing(None) == []
    contract, _ = load_contract_text_located(
        HEADER + "  routing_strategy: operation_match\n  handlers:\n"
        "    - {routing_key: 'op?', handler_key: a}\n"
    )
    (warning,) = lint_handler_routing(contract.handler_routing, source="x.yaml")
    assert (warning.path, warning.line, warning.column) == ("x.yaml", 1, 1)


REGISTRY_BODY = (
    "  handlers:\n"
    "    - routing_key: ModelA\n"
    "      handler_key: handler-a\n"
    "      message_category: command\n"
    "    - routing_key: ModelB\n"
    "      handler_key: handler-bb\n"
    "    - routing_key: ModelC\n"
    "      handler_key: handler-c\n"
    "  default_handler: handler-missing\n"
)


def test_registry_check_locates_each_unresolved_key(
    make_registry: Callable[..., ServiceHandlerRegistry],
    make_handler: Callable[..., Any],
) -> None:
    registry = make_registry(
        make_handler("handler-a", EnumMessageCategory.EVENT),
        make_handler("handler-b"),
        make_handler("handler-c", message_types={"ModelX"}),
        make_handler("handler-e", EnumMessageCategory.COMMAND, EnumNodeKind.EFFECT),
    )
    contract, document = load_contract_text_located(HEADER + REGISTRY_BODY, source="c.yaml")
    problems = check_contract_handlers(contract, registry, document)
    assert [(p.line, p.column, p.field, p.severity) for p in problems] == [
        (8, 25, "handler_routing.handlers[0].message_category", "error"),
        (10, 20, "handler_routing.handlers[1].handler_key", "error"),
        (11, 20, "handler_routing.handlers[2].routing_key", "warning"),
        (13, 20, "handler_routing.default_handler", "error"),
    ]
    assert "serves 'event' messages but the entry declares message_category 'command'" in (
        problems[0].message
    )
    assert (
        problems[1]
        .format()
        .endswith(
            "unknown handler 'handler-bb' (registered: handler-a, handler-b, handler-c, "
            "handler-e); did you mean 'handler-b'?"
        )
    )
    assert "does not list 'ModelC' in its message_types (ModelX)" in problems[2].message
    assert problems[3].message.startswith("unknown handler 'handler-missing'")


def test_registry_check_warns_about_node_kind(
    make_registry: Callable[..., ServiceHandlerRegistry],
    make_handler: Callable[..., Any],
) -> None:
    registry = make_registry(
        make_handler("handler-e", EnumMessageCategory.COMMAND, EnumNodeKind.EFFECT)
    )
    contract, document = load_contract_text_located(
        HEADER + "  handlers:\n    - {routing_key: A, handler_key: handler-e}\n"
    )
    (problem,) = check_contract_handlers(contract, registry, document)
    assert problem.severity == "warning"
    assert "written for 'effect' nodes but this contract's node_type is 'orchestrator'" in (
        problem.message
    )


def test_registry_check_lists_few_ids_and_passes_clean_contracts(
    make_registry: Callable[..., ServiceHandlerRegistry],
    make_handler: Callable[..., Any],
) -> None:
    registry = make_registry(*(make_handler(f"h{i:02d}") for i in range(30)))
    contract, _ = load_contract_text_located(
        HEADER + "  handlers:\n    - {routing_key: A, handler_key: zzz}\n"
    )
    (problem,) = check_contract_handlers(contract, registry)
    assert "h11, ... 18 more)" in problem.message
    contract, _ = load_contract_text_located(
        HEADER + "  handlers:\n    - {routing_key: A, handler_key: h01}\n"
    )
    assert check_contract_handlers(contract, registry) == []


_PATTERNS = st.lists(st.text(alphabet="ab.*?", min_size=1, max_size=5), min_size=1, max_size=12)


@settings(max_examples=200, deadline=None)
@given(patterns=_PATTERNS, priorities=st.lists(st.integers(-2, 2), min_size=12, max_size=12))
def test_indexed_lint_agrees_with_pairwise_rule(patterns: list[str], priorities: list[int]) -> None:
    handlers = [
        {"routing_key": pattern, "handler_key": f"h{i}", "priority": priorities[i]}
        for i, pattern in enumerate(patterns)
    ]
    contract = load_contract_text(
        yaml.safe_dump(
            {
                "name": "n",
                "contract_version": "1.0.0",
                "node_type": "orchestrator",
                "handler_routing": {"routing_strategy": "topic_pattern", "handlers": handlers},
            }
        )
    )
    routing = contract.handler_routing
    assert routing is not None
    order = sorted(range(len(patterns)), key=lambda i: priorities[i])
    expected: set[int] = set()
    for position, index in enumerate(order):
        earlier = [patterns[i] for i in order[:position]]
        if any(e != patterns[index] and pattern_covers(e, patterns[index]) for e in earlier):
            expected.add(index)
    warned = {int(w.field.split("[")[1].split("]")[0]) for w in lint_handler_routing(routing)}
    assert warned == expected


def test_section_settings_without_behaviour_are_warned_about() -> None:
    contract, document = load_contract_text_located(
        "name: n\ncontract_version: 1.0.0\nnode_type: effect\nhandler_routing:\n"
        "  routing_strategy: operation_match\n"
        "  execution_mode: parallel\n"
        "  partial_failure_handling: true\n"
        "  aggregation_strategy: all_or_partial\n"
        "  max_timeout_seconds: 2.5\n"
        "  handler_dependencies:\n    reader: {protocol: P}\n"
        "  handlers:\n    - {operation: put, handler: {name: H, module: m}}\n",
        source="s.yaml",
    )
    problems = lint_handler_routing(contract.handler_routing, document)
    assert [(p.line, p.field, p.severity) for p in problems] == [
        (6, "handler_routing.execution_mode", "warning"),
        (7, "handler_routing.partial_failure_handling", "warning"),
        (8, "handler_routing.aggregation_strategy", "warning"),
        (9, "handler_routing.max_timeout_seconds", "warning"),
        (11, "handler_routing.handler_dependencies", "warning"),
    ]
    assert all("has no effect" in p.message for p in problems)
    assert "max_timeout_seconds 2.5 has no effect" in problems[3].message


def test_settings_matching_the_behaviour_are_not_warned_about() -> None:
    contract, document = load_contract_text_located(
        "name: n\ncontract_version: 1.0.0\nnode_type: effect\nhandler_routing:\n"
        "  execution_mode: SEQUENTIAL\n  partial_failure_handling: false\n"
        "  default_handler: d\n"
    )
    assert lint_handler_routing(contract.handler_routing, document) == []


def test_live_entry_warnings_point_at_the_field_that_holds_the_key() -> None:
    contract, document = load_contract_text_located(
        "name: n\ncontract_version: 1.0.0\nnode_type: effect\nhandler_routing:\n"
        "  routing_strategy: topic_pattern\n  handlers:\n"
        "    - {topic: 'onex.*', handler: {name: A, module: m}}\n"
        "    - {event_type: 'onex.evt.*', handler: {name: B, module: m}}\n"
    )
    (problem,) = lint_handler_routing(contract.handler_routing, document)
    assert (problem.line, problem.column, problem.field) == (
        8,
        20,
        "handler_routing.handlers[1].event_type",
    )


def test_an_output_event_the_section_routes_is_warned_at_the_list_item() -> None:
    warnings = _lint(
        "  handlers:\n"
        "    - routing_key: ModelA\n"
        "      handler_key: a\n"
        "      output_events: [ModelDone, ModelB]\n"
        "    - {routing_key: ModelB, handler_key: b, output_events: [ModelB]}\n"
    )
    assert [(w.line, w.column, w.field, w.severity) for w in warnings] == [
        (8, 34, "handler_routing.handlers[0].output_events[1]", "warning"),
        (9, 61, "handler_routing.handlers[1].output_events[0]", "warning"),
    ]
    assert "output event 'ModelB' is routed by this section too (handlers[1])" in (
        warnings[0].message
    )


@pytest.mark.parametrize("strategy", ["operation_match", "topic_pattern"])
def test_output_events_are_not_routing_keys_under_other_strategies(strategy: str) -> None:
    body = (
        f"  routing_strategy: {strategy}\n"
        "  handlers:\n    - {routing_key: ModelB, handler_key: b, output_events: [ModelB]}\n"
    )
    assert _lint(body) == []


_NAMES = st.sampled_from(["ModelA", "ModelB", "ModelC", "ModelD"])


@settings(max_examples=100, deadline=None)
@given(
    entries=st.lists(
        st.tuples(_NAMES, st.lists(_NAMES, max_size=3)),
        min_size=1,
        max_size=5,
        unique_by=lambda entry: entry[0],
    )
)
def test_every_emitted_and_routed_name_is_warned_once(
    entries: list[tuple[str, list[str]]],
) -> None:
    handlers = [
        {"routing_key": key, "handler_key": f"h{i}", "output_events": events}
        for i, (key, events) in enumerate(entries)
    ]
    contract = load_contract_text(
        yaml.safe_dump(
            {
                "name": "n",
                "contract_version": "1.0.0",
                "node_type": "orchestrator",
                "handler_routing": {"handlers": handlers},
            }
        )
    )
    routed = {key for key, _ in entries}
    expected = [
        f"handler_routing.handlers[{i}].output_events[{k}]"
        for i, (_, events) in enumerate(entries)
        for k, event in enumerate(events)
        if event in routed
    ]
    assert sorted(w.field for w in lint_handler_routing(contract.handler_routing)) == sorted(
        expected
    )


def test_a_glob_under_topic_match_is_warned_with_the_written_name() -> None:
    body = (
        "  routing_strategy: Topic_Match\n"
        "  handlers:\n"
        "    - {routing_key: 'onex.evt.a.v1', handler_key: a}\n"
        "    - {routing_key: 'onex.evt.*', handler_key: b}\n"
    )
    (warning,) = _lint(body)
    assert (warning.line, warning.field) == (8, "handler_routing.handlers[1].routing_key")
    assert "routing_strategy topic_match is read as topic_pattern" in warning.message
    assert _lint(body.replace("Topic_Match", "topic_pattern")) == []
