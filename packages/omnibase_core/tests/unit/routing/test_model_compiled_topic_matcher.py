"""ModelCompiledTopicMatcher: exact fnmatchcase semantics, first match in order."""

from __future__ import annotations

import fnmatch

import pytest

from omnibase_core.routing import ModelCompiledTopicMatcher


def reference(patterns: list[str], topic: str) -> int | None:
    for index, pattern in enumerate(patterns):
        if fnmatch.fnmatchcase(topic, pattern):
            return index
    return None


PATTERNS = [
    "onex.evt.platform.node-introspection.v1",
    "onex.evt.platform.*.v1",
    "onex.evt.*",
    "onex.*.platform.runtime-tick.v1",
    "*.v2",
    "onex.cmd.svc?.go",
    "onex.cmd.svc[0-4].*",
    "onex.cmd.svc[!0-4].*",
    "onex.intent.*",
    "[",
    "a[b",
    "x.[!.]y",
    "*",
]

TOPICS = [
    "onex.evt.platform.node-introspection.v1",
    "onex.evt.platform.node-heartbeat.v1",
    "onex.evt.platform.node-heartbeat.v2",
    "onex.evt.other",
    "onex.intent.platform.runtime-tick.v1",
    "onex.cmd.svc1.go",
    "onex.cmd.svc7.stop",
    "onex.cmd.svc3.stop",
    "onex.cmd.svcX.go",
    "a.v2",
    "[",
    "a[b",
    "x.zy",
    "x..y",
    "",
    "ONEX.evt.platform.x.v1",
]


@pytest.mark.parametrize("topic", TOPICS)
@pytest.mark.parametrize("cut", [1, 3, 6, len(PATTERNS)])
def test_agrees_with_fnmatch_scan(topic: str, cut: int) -> None:
    patterns = PATTERNS[-cut:]
    assert ModelCompiledTopicMatcher(patterns).first_match(topic) == reference(patterns, topic)


@pytest.mark.parametrize(
    ("patterns", "topic", "expected"),
    [
        ([], "a", None),
        (["a"], "a", 0),
        (["a", "a"], "a", 0),
        (["b*", "a"], "a", 1),
        (["*", "a"], "a", 0),
        (["a", "*"], "a", 0),
        (["a.*.c", "a.b.c"], "a.b.c", 0),
        (["a.b.c", "a.*.c"], "a.b.c", 0),
        (["*.c", "a.*"], "a.c", 0),
        (["a.*", "*.c"], "a.c", 0),
        (["x.*", "*.c"], "a.c", 1),
        (["a.b.*", "a.*"], "a.x", 1),
        (["a.*", "a.b.*"], "a.b.x", 0),
        (["a.b?", "a.bc"], "a.bc", 0),
        (["a.bc", "a.b?"], "a.bd", 1),
        (["onex.evt.*"], "onex.evt.", 0),
        (["onex.evt.*"], "onex.evt", None),
        (["*.v1"], ".v1", 0),
        (["*.v1"], "v1", None),
        (["a*b*c"], "a.b.c", 0),
        (["a*b*c"], "a.c.b", None),
        (["[.]"], ".", 0),
        (["x.[.]y.z"], "x..y.z", 0),
        (["[]a].v1"], "].v1", 0),
        (["[!]].v1"], "].v1", None),
        (["[!]].v1"], "a.v1", 0),
        (["a.[b"], "a.[b", 0),
        (["a.[b*"], "a.[bcd", 0),
        (["*.[ab]x.v1"], "q.bx.v1", 0),
    ],
)
def test_first_match(patterns: list[str], topic: str, expected: int | None) -> None:
    assert ModelCompiledTopicMatcher(patterns).first_match(topic) == expected
    assert reference(patterns, topic) == expected


def test_many_patterns_select_the_right_one() -> None:
    patterns = [f"onex.evt.svc{index}.*.v1" for index in range(1000)]
    matcher = ModelCompiledTopicMatcher(patterns)
    for index in range(0, 1000, 37):
        assert matcher.first_match(f"onex.evt.svc{index}.thing.v1") == index
        assert matcher.first_match(f"onex.evt.svc{index}.thing.v2") is None
    assert matcher.patterns == tuple(patterns)


def test_suffix_anchored_patterns() -> None:
    patterns = [f"*.node-{index}.v1" for index in range(300)] + ["*"]
    matcher = ModelCompiledTopicMatcher(patterns)
    for index in range(0, 300, 13):
        assert matcher.first_match(f"onex.evt.node-{index}.v1") == index
    assert matcher.first_match("onex.evt.other.v1") == 300
