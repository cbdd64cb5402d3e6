"""Lint of a contract's handler routing: routes that can never be taken, and likely mistakes.

Findings are warnings: the contract stays valid. Tools (``onex contract validate``) print them.
"""

from __future__ import annotations

import fnmatch
import re
from typing import Final

from omnibase_core.contracts._located_problem import problem_at
from omnibase_core.contracts.model_yaml_document import ModelYamlDocument
from omnibase_core.enums.enum_handler_execution_mode import EnumHandlerExecutionMode
from omnibase_core.enums.enum_handler_routing_strategy import EnumHandlerRoutingStrategy
from omnibase_core.models.contracts.model_contract_problem import ModelContractProblem
from omnibase_core.models.contracts.subcontracts.model_handler_routing_subcontract import (
    ModelHandlerRoutingSubcontract,
)

_WILDCARD: Final = re.compile(r"[*?\[]")
_SECTION: Final = "handler_routing"


def pattern_covers(earlier: str, later: str) -> bool:
    """Whether every topic matched by glob ``later`` is also matched by glob ``earlier``.

    Sound but conservative: ``True`` only when provable by one of these rules, ``False`` when
    unsure. ``earlier`` is ``*``; ``later`` has no wildcard and ``earlier`` matches it; or
    ``earlier`` is a literal prefix followed by ``*`` (or ``*`` followed by a literal suffix)
    and ``later`` literally starts (ends) with that text.
    """
    if earlier == "*":
        return True
    if _WILDCARD.search(later) is None:
        return fnmatch.fnmatchcase(later, earlier)
    body = earlier[:-1]
    if earlier.endswith("*") and _WILDCARD.search(body) is None:
        return later.startswith(body)
    body = earlier[1:]
    if earlier.startswith("*") and _WILDCARD.search(body) is None:
        return later.endswith(body)
    return False


class _CoverIndex:
    """Patterns seen so far, indexed so finding one that covers a new pattern is cheap.

    Answers exactly as :func:`pattern_covers` applied to every earlier pattern, returning the
    earliest covering one, without scanning all of them for wildcard patterns.
    """

    def __init__(self) -> None:
        self.first_index: dict[str, int] = {}  # pattern -> handlers index of its first entry
        self.rank: dict[str, int] = {}  # pattern -> routing order of its first entry
        self.wild: list[str] = []  # patterns with a wildcard, in routing order
        self.prefixes: dict[str, str] = {}  # literal body -> "body*"
        self.suffixes: dict[str, str] = {}  # literal body -> "*body"

    def add(self, pattern: str, index: int) -> None:
        if pattern in self.rank:
            return
        self.first_index[pattern] = index
        self.rank[pattern] = len(self.rank)
        if _WILDCARD.search(pattern) is None:
            return  # a literal covers only itself, and identical patterns are fan-out
        self.wild.append(pattern)
        if pattern.endswith("*") and _WILDCARD.search(pattern[:-1]) is None:
            self.prefixes.setdefault(pattern[:-1], pattern)
        if pattern.startswith("*") and _WILDCARD.search(pattern[1:]) is None:
            self.suffixes.setdefault(pattern[1:], pattern)

    def first_cover(self, pattern: str) -> str | None:
        if _WILDCARD.search(pattern) is None:
            for earlier in self.wild:
                if earlier != pattern and fnmatch.fnmatchcase(pattern, earlier):
                    return earlier
            return None
        candidates = [
            found
            for cut in range(len(pattern) + 1)
            for found in (self.prefixes.get(pattern[:cut]), self.suffixes.get(pattern[cut:]))
            if found is not None and found != pattern
        ]
        return min(candidates, key=self.rank.__getitem__) if candidates else None


def lint_handler_routing(
    routing: ModelHandlerRoutingSubcontract | None,
    document: ModelYamlDocument | None = None,
    *,
    source: str = "<contract>",
) -> list[ModelContractProblem]:
    """Warnings about ``routing``, located with ``document`` when given, in file order.

    - topic_pattern: an entry whose pattern is shadowed by a different pattern earlier in
      routing order (``(priority, position)``): first match wins, so it is never taken.
      Entries repeating the winning pattern are fan-out and are not reported.
    - a section written ``routing_strategy: topic_match`` (read as topic_pattern; needs
      ``document`` to see the spelling): a topic with ``*``, ``?`` or ``[``, which is a glob
      here but names one exact topic in upstream ONEX.
    - exact strategies: a routing key containing ``*``, ``?`` or ``[`` never matches as a glob.
    - payload_type_match: an ``output_events`` name that the same section routes. Routing keys
      and output events are then both payload type names, so the node would be handed back
      what it emits: a loop unless something ends it.
    - section settings read from upstream ONEX contracts that ask for a behaviour this
      framework does not have (``execution_mode: parallel``, ``partial_failure_handling:
      true``, any ``aggregation_strategy``, ``max_timeout_seconds`` or
      ``handler_dependencies``).
    """
    if routing is None:
        return []
    warnings: list[ModelContractProblem] = []

    entries = routing.handlers

    def warn(index: int, message: str, hint: str) -> None:
        path = (_SECTION, "handlers", index, *entries[index].routing_key_field)
        warnings.append(problem_at(document, source, path, message, "warning", hint))

    for field, message in _without_behaviour(routing):
        warnings.append(
            problem_at(
                document,
                source,
                (_SECTION, field),
                message,
                "warning",
                "remove it, or keep it as documentation",
            )
        )
    if routing.routing_strategy is EnumHandlerRoutingStrategy.TOPIC_PATTERN:
        if _written_strategy(document) == "topic_match":
            for index, entry in enumerate(entries):
                if _WILDCARD.search(entry.routing_key):
                    warn(
                        index,
                        f"topic {entry.routing_key!r} is a glob here: routing_strategy "
                        "topic_match is read as topic_pattern, while upstream ONEX topic_match "
                        "entries name one exact topic",
                        "write the exact topic, or routing_strategy: topic_pattern when the "
                        "glob is meant",
                    )
        order = sorted(range(len(entries)), key=lambda index: entries[index].priority)
        earlier_patterns = _CoverIndex()
        for index in order:
            pattern = entries[index].routing_key
            cover = earlier_patterns.first_cover(pattern)
            if cover is not None:
                cover_index = earlier_patterns.first_index[cover]
                warn(
                    index,
                    f"topic pattern {pattern!r} is never taken: every topic it matches "
                    f"first matches {cover!r} (handlers[{cover_index}], "
                    f"priority {entries[cover_index].priority})",
                    "give this entry a lower priority value or narrow the earlier pattern",
                )
            earlier_patterns.add(pattern, index)
    else:
        if routing.routing_strategy is EnumHandlerRoutingStrategy.PAYLOAD_TYPE_MATCH:
            warnings.extend(_emitted_and_routed(routing, document, source))
        for index, entry in enumerate(entries):
            if _WILDCARD.search(entry.routing_key):
                warn(
                    index,
                    f"routing key {entry.routing_key!r} looks like a glob but routing_strategy "
                    f"is {routing.routing_strategy.value} (exact match)",
                    "use routing_strategy: topic_pattern or a literal key",
                )
    return sorted(warnings, key=ModelContractProblem.sort_key)


def _written_strategy(document: ModelYamlDocument | None) -> str | None:
    """The ``routing_strategy`` as written in ``document`` (stripped, lower case), if known."""
    section = None if document is None else document.data.get(_SECTION)
    written = section.get("routing_strategy") if isinstance(section, dict) else None
    return written.strip().lower() if isinstance(written, str) else None


def _emitted_and_routed(
    routing: ModelHandlerRoutingSubcontract, document: ModelYamlDocument | None, source: str
) -> list[ModelContractProblem]:
    """A warning at each ``output_events`` item that is also a routing key of ``routing``."""
    first_route: dict[str, int] = {}
    for index, entry in enumerate(routing.handlers):
        first_route.setdefault(entry.routing_key, index)
    found: list[ModelContractProblem] = []
    for index, entry in enumerate(routing.handlers):
        for item, event in enumerate(entry.output_events):
            routed_at = first_route.get(event)
            if routed_at is None:
                continue
            found.append(
                problem_at(
                    document,
                    source,
                    (_SECTION, "handlers", index, "output_events", item),
                    f"output event {event!r} is routed by this section too "
                    f"(handlers[{routed_at}]): the node would be handed back what it emits",
                    "warning",
                    "make sure the loop ends, or correct output_events if the handler does not "
                    "emit it",
                )
            )
    return found


def _without_behaviour(routing: ModelHandlerRoutingSubcontract) -> list[tuple[str, str]]:
    """``(field, message)`` for each section setting that is read but has no effect here."""
    found: list[tuple[str, str]] = []
    if routing.execution_mode is EnumHandlerExecutionMode.PARALLEL:
        found.append(
            (
                "execution_mode",
                "execution_mode 'parallel' has no effect: fan-out handlers run one after "
                "another in routing order",
            )
        )
    if routing.partial_failure_handling:
        found.append(
            (
                "partial_failure_handling",
                "partial_failure_handling has no effect: the first failing handler stops the "
                "message and later handlers do not run",
            )
        )
    if routing.aggregation_strategy is not None:
        found.append(
            (
                "aggregation_strategy",
                f"aggregation_strategy {routing.aggregation_strategy!r} has no effect: "
                "process() returns every handler's output as a list in routing order",
            )
        )
    if routing.max_timeout_seconds is not None:
        found.append(
            (
                "max_timeout_seconds",
                f"max_timeout_seconds {routing.max_timeout_seconds:g} has no effect: no "
                "timeout is applied to handlers",
            )
        )
    if routing.handler_dependencies:
        found.append(
            (
                "handler_dependencies",
                "handler_dependencies has no effect: nothing is injected; handlers built from "
                "class references receive the node's container",
            )
        )
    return found
