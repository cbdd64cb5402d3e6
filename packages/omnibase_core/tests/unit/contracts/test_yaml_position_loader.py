"""Tests of the position-keeping safe YAML loader."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from omnibase_core.contracts import YamlPositionLoader, problems_from_error
from omnibase_core.enums import EnumCoreErrorCode
from omnibase_core.models.contracts import ModelContractProblem
from omnibase_core.models.errors import ModelOnexError

BACKENDS = [
    pytest.param(True, id="libyaml"),
    pytest.param(False, id="pure-python"),
]


@pytest.fixture(params=BACKENDS)
def loader(request: pytest.FixtureRequest) -> YamlPositionLoader:
    return YamlPositionLoader(use_libyaml=request.param)


def _problems(loader: YamlPositionLoader, text: str | bytes) -> list[ModelContractProblem]:
    load = loader.load_bytes if isinstance(text, bytes) else loader.load_text
    with pytest.raises(ModelOnexError) as caught:
        load(text, "doc.yaml")  # type: ignore[arg-type]
    assert caught.value.error_code is EnumCoreErrorCode.CONTRACT_VALIDATION_ERROR
    problems = problems_from_error(caught.value)
    assert problems, "the error must carry its problems"
    for problem in problems:
        assert problem.format() in caught.value.message
    return problems


def _single(loader: YamlPositionLoader, text: str | bytes) -> ModelContractProblem:
    problems = _problems(loader, text)
    assert len(problems) == 1, problems
    return problems[0]


def test_records_key_and_value_positions(loader: YamlPositionLoader) -> None:
    text = (
        "name: demo\n"
        "handler_routing:\n"
        "  handlers:\n"
        "    - routing_key: A\n"
        "      priority: 3\n"
        "    - {routing_key: B, handler_key: b}\n"
    )
    doc = loader.load_text(text, "doc.yaml")
    assert doc.data == {
        "name": "demo",
        "handler_routing": {
            "handlers": [
                {"routing_key": "A", "priority": 3},
                {"routing_key": "B", "handler_key": "b"},
            ]
        },
    }
    assert doc.key_positions[("name",)] == (1, 1)
    assert doc.value_positions[("name",)] == (1, 7)
    assert doc.key_positions[("handler_routing",)] == (2, 1)
    assert doc.value_positions[("handler_routing",)] == (3, 3)
    assert doc.value_positions[("handler_routing", "handlers", 0)] == (4, 7)
    assert doc.key_positions[("handler_routing", "handlers", 0, "priority")] == (5, 7)
    assert doc.value_positions[("handler_routing", "handlers", 0, "priority")] == (5, 17)
    assert doc.value_positions[("handler_routing", "handlers", 1)] == (6, 7)
    assert doc.key_positions[("handler_routing", "handlers", 1, "handler_key")] == (6, 24)
    # unknown paths fall back to the nearest located ancestor
    assert doc.value_position(("handler_routing", "handlers", 1, "missing")) == (6, 7)
    assert doc.key_position(("nowhere",)) == doc.value_position(())


def test_scalars_are_typed_like_safe_load(loader: YamlPositionLoader) -> None:
    text = (
        "i: 12\nf: 1.5\nb: true\nn: null\ns: '12'\nd: 2026-03-01\n"
        "t: 2026-03-01T12:00:00Z\nhex: 0x1f\nempty:\nbang: ! 12\n"
    )
    data = loader.load_text(text, "doc.yaml").data
    assert data == yaml.safe_load(text.replace("! 12", "'12'"))
    assert data["d"] == dt.date(2026, 3, 1)
    assert data["bang"] == "12"


def test_duplicate_keys_are_all_reported_with_both_lines(loader: YamlPositionLoader) -> None:
    text = "a: 1\nb:\n  c: 1\n  c: 2\na: 3\n"
    problems = _problems(loader, text)
    assert [(p.line, p.column, p.field) for p in problems] == [(4, 3, "b.c"), (5, 1, "a")]
    assert "already defined at line 3" in problems[0].message
    assert "again at line 4" in problems[0].message
    assert "already defined at line 1" in problems[1].message


def test_duplicate_keys_in_flow_mapping(loader: YamlPositionLoader) -> None:
    problem = _single(loader, "x: {k: 1, k: 2}\n")
    assert (problem.line, problem.column, problem.field) == (1, 11, "x.k")


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("x: !!python/object/apply:os.system ['ls']\n", "!!python/object/apply:os.system"),
        ("x: !!python/name:os.system\n", "!!python/name:os.system"),
        ("x: !!python/object:os.system {a: 1}\n", "!!python/object:os.system"),
        ("x: !custom 3\n", "!custom"),
        ("x: !!set {a, b}\n", "!!set"),
        ("x: !!omap [a: 1]\n", "!!omap"),
    ],
)
def test_tags_are_refused_with_location(loader: YamlPositionLoader, text: str, shown: str) -> None:
    problem = _single(loader, text)
    assert (problem.line, problem.column, problem.field) == (1, 4, "x")
    assert f"tag {shown!r} is not allowed" in problem.message


def test_python_tag_is_never_constructed(loader: YamlPositionLoader) -> None:
    problem = _single(loader, "x: !!python/object/apply:builtins.exit [3]\n")
    assert "can run code" in problem.message


def _bomb(levels: int) -> str:
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels):
        refs = ", ".join([f"*l{level - 1}"] * 10)
        lines.append(f"l{level}: &l{level} [{refs}]")
    return "\n".join(lines) + "\n"


def test_billion_laughs_is_refused(loader: YamlPositionLoader) -> None:
    problem = _single(loader, _bomb(10))
    assert "aliases expand the document beyond 10000 nodes" in problem.message
    # l1 costs 10 x 11 nodes, l2 10 x 111, l3 10 x 1111: the budget runs out on line 4
    assert (problem.line, problem.field) == (4, "l3[7]")


def test_alias_limit_is_configurable() -> None:
    text = _bomb(3)
    assert YamlPositionLoader().load_text(text, "doc.yaml").data["l2"][9][9][9] == "lol"
    with pytest.raises(ModelOnexError, match="beyond 50 nodes"):
        YamlPositionLoader(max_alias_nodes=50).load_text(text, "doc.yaml")


def test_aliases_within_the_limit_share_values(loader: YamlPositionLoader) -> None:
    doc = loader.load_text("base: &b {x: 1}\nuse: *b\nk: &s word\nv: *s\n", "doc.yaml")
    assert doc.data == {"base": {"x": 1}, "use": {"x": 1}, "k": "word", "v": "word"}
    assert doc.value_positions[("use",)] == (2, 6)


def test_recursive_alias_is_refused(loader: YamlPositionLoader) -> None:
    problem = _single(loader, "a: &x [1, *x]\n")
    assert (problem.line, problem.column, problem.field) == (1, 11, "a[1]")
    assert "recursive" in problem.message


def test_undefined_alias_is_refused(loader: YamlPositionLoader) -> None:
    problem = _single(loader, "a: *nothing\n")
    assert "no matching anchor &nothing" in problem.message


def test_merge_keys_follow_yaml_semantics(loader: YamlPositionLoader) -> None:
    text = "base: &b {x: 1, y: 2}\nmore: &m {z: 3}\nnode:\n  <<: [*b, *m]\n  y: 20\n"
    doc = loader.load_text(text, "doc.yaml")
    assert doc.data["node"] == {"x": 1, "y": 20, "z": 3}
    assert doc.data == yaml.safe_load(text)
    assert doc.key_positions[("node", "x")] == (4, 7)
    assert doc.key_positions[("node", "y")] == (5, 3)


def test_merge_of_a_scalar_is_refused(loader: YamlPositionLoader) -> None:
    problem = _single(loader, "node:\n  <<: 3\n")
    assert "merge key" in problem.message


def test_size_limit_is_checked_before_parsing() -> None:
    small = YamlPositionLoader(max_bytes=64)
    problem = _single(small, b"a: [" + b"1, " * 100)  # also broken YAML: size wins
    assert problem.message.startswith("file is 304 bytes, more than the limit of 64 bytes")
    problem = _single(small, "a: '" + "\u00e9" * 40 + "'\n")  # 86 bytes as UTF-8
    assert "more than the limit of 64 bytes" in problem.message


def test_non_utf8_bytes_are_located(loader: YamlPositionLoader) -> None:
    problem = _single(loader, b"name: ok\nd: caf\xe9 \xff\n")
    assert (problem.line, problem.column) == (2, 7)
    assert "byte 0xe9 at offset 15 is not valid UTF-8" in problem.message


def test_utf8_bom_is_accepted_and_utf16_refused(loader: YamlPositionLoader) -> None:
    assert loader.load_bytes(b"\xef\xbb\xbfa: 1\n", "doc.yaml").data == {"a": 1}
    problem = _single(loader, "a: 1\n".encode("utf-16"))
    assert "UTF-16" in problem.message


def test_forbidden_control_character_is_located(loader: YamlPositionLoader) -> None:
    problem = _single(loader, "a: 1\nb: x\x07y\n")
    assert (problem.line, problem.column) == (2, 5)
    assert "U+0007" in problem.message


@pytest.mark.parametrize(
    ("text", "found", "position"),
    [
        ("- a\n- b\n", "found a list", (1, 1)),
        ("just text\n", "found the scalar 'just text'", (1, 1)),
        ("# only a comment\n---\n", "found an empty document", (3, 1)),
    ],
)
def test_top_level_must_be_a_mapping(
    loader: YamlPositionLoader, text: str, found: str, position: tuple[int, int]
) -> None:
    problem = _single(loader, text)
    assert "top level of a contract must be a mapping" in problem.message
    assert found in problem.message
    assert (problem.line, problem.column) == position


def test_empty_file_is_refused(loader: YamlPositionLoader) -> None:
    problem = _single(loader, "# nothing\n")
    assert "the file is empty" in problem.message


def test_second_document_is_refused(loader: YamlPositionLoader) -> None:
    problem = _single(loader, "a: 1\n---\nb: 2\n")
    assert problem.line == 2
    assert "exactly one YAML document" in problem.message


def test_syntax_error_is_located(loader: YamlPositionLoader) -> None:
    problem = _single(loader, "a: 1\nb: c: d\n")
    assert (problem.line, problem.column) == (2, 5)
    assert problem.message.startswith("YAML syntax error: mapping values are not allowed")


def test_complex_keys_are_refused(loader: YamlPositionLoader) -> None:
    problem = _single(loader, "? [a, b]\n: 1\n")
    assert "mapping keys must be plain scalars" in problem.message


def test_deep_nesting_is_refused(loader: YamlPositionLoader) -> None:
    problem = _single(loader, "a: " + "[" * 100 + "]" * 100 + "\n")
    assert (problem.line, problem.column) == (1, 67)
    assert "nesting is deeper than 64 levels" in problem.message


def test_very_deep_nesting_fails_cleanly(loader: YamlPositionLoader) -> None:
    problem = _single(loader, "a: " + "[" * 50_000 + "]" * 50_000 + "\n")
    assert "nest" in problem.message


def test_bad_scalar_for_explicit_tag(loader: YamlPositionLoader) -> None:
    problem = _single(loader, "a: !!int nope\n")
    assert (problem.line, problem.column, problem.field) == (1, 4, "a")
    assert "cannot read 'nope' as !!int" in problem.message


_KEYS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8)
_SCALARS = st.none() | st.booleans() | st.integers() | st.text(max_size=20)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_KEYS, inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None)
@given(data=st.dictionaries(_KEYS, _VALUES, min_size=1, max_size=6), flow=st.booleans())
def test_reads_what_safe_load_reads(data: dict[str, Any], flow: bool) -> None:
    text = yaml.safe_dump(data, default_flow_style=flow, allow_unicode=True)
    expected = yaml.safe_load(text)
    for use_libyaml in (True, False):
        doc = YamlPositionLoader(use_libyaml=use_libyaml).load_text(text, "doc.yaml")
        assert doc.data == expected
        for key in data:
            line, column = doc.key_positions[(key,)]
            assert text.splitlines()[line - 1][column - 1 :].lstrip("{ '\"").startswith(key)
