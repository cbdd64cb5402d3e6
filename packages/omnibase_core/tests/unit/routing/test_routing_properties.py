"""Property tests: routing is deterministic and the topic matcher equals an fnmatch scan."""

from __future__ import annotations

import fnmatch
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from omnibase_core.enums import EnumHandlerRoutingStrategy, EnumMessageCategory, EnumNodeKind
from omnibase_core.mixins import MixinHandlerRouting
from omnibase_core.models.contracts.subcontracts import ModelHandlerRoutingSubcontract
from omnibase_core.models.events import ModelEventEnvelope
from omnibase_core.routing import ModelCompiledTopicMatcher
from omnibase_core.services import ServiceHandlerRegistry

_ALPHABET = "ab."
_piece = st.one_of(
    st.text(alphabet=_ALPHABET, min_size=1, max_size=3),
    st.sampled_from(["*", "?", "[ab]", "[!a]", "[.]", "[", "]", "onex.", ".v1", "evt"]),
)
patterns_st = st.lists(
    st.lists(_piece, min_size=0, max_size=5).map("".join), min_size=0, max_size=12
)
topics_st = st.lists(
    st.one_of(
        st.text(alphabet="ab.[]!", max_size=8),
        st.lists(
            st.sampled_from(["onex", "evt", "a", "b", "v1", "ab", "", "[", "]"]), max_size=5
        ).map(".".join),
    ),
    min_size=1,
    max_size=20,
)


def reference(patterns: list[str], topic: str) -> int | None:
    for index, pattern in enumerate(patterns):
        if fnmatch.fnmatchcase(topic, pattern):
            return index
    return None


@settings(max_examples=400, deadline=None)
@given(patterns=patterns_st, topics=topics_st)
def test_matcher_agrees_with_fnmatch_scan(patterns: list[str], topics: list[str]) -> None:
    matcher = ModelCompiledTopicMatcher(patterns)
    for topic in topics:
        assert matcher.first_match(topic) == reference(patterns, topic)


class _Handler:
    def __init__(self, handler_id: str, category: EnumMessageCategory) -> None:
        self.handler_id = handler_id
        self.category = category
        self.node_kind = (
            EnumNodeKind.REDUCER if category is EnumMessageCategory.EVENT else EnumNodeKind.EFFECT
        )
        self.message_types: set[str] = set()

    async def handle(self, envelope: Any) -> Any:  # pragma: no cover - never awaited here
        return None


class _Router(MixinHandlerRouting):
    pass


_HANDLERS = [_Handler(f"h{index}", list(EnumMessageCategory)[index % 3]) for index in range(6)]
entries_st = st.lists(
    st.tuples(
        st.lists(_piece, min_size=1, max_size=4)
        .map("".join)
        .filter(lambda key: key.strip() == key),
        st.integers(0, 5),
        st.integers(-2, 2),
    ),
    max_size=10,
    unique_by=lambda entry: (entry[0], entry[1]),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    entries=entries_st,
    strategy=st.sampled_from(
        ["payload_type_match", "operation_match", "topic_pattern", "topic_match"]
    ),
    default=st.one_of(st.none(), st.integers(0, 5)),
    topics=topics_st,
)
def test_routing_is_deterministic_and_matches_spec(
    entries: list[tuple[str, int, int]], strategy: str, default: int | None, topics: list[str]
) -> None:
    if not entries and default is None:
        default = 0
    registry = ServiceHandlerRegistry()
    for handler in _HANDLERS:
        registry.register_handler(handler)
    registry.freeze()
    routing = ModelHandlerRoutingSubcontract.model_validate(
        {
            "version": "1.0.0",
            "routing_strategy": strategy,
            "handlers": [
                {"routing_key": key, "handler_key": f"h{h}", "priority": priority}
                for key, h, priority in entries
            ],
            "default_handler": None if default is None else f"h{default}",
        }
    )
    one, two = _Router(), _Router()
    one._init_handler_routing(routing, registry)
    two._init_handler_routing(routing, registry)
    ordered = sorted(enumerate(entries), key=lambda pair: pair[1][2])
    keys = topics + [key for key, _, _ in entries]
    for key in keys:
        if strategy in ("topic_pattern", "topic_match"):  # one meaning, two names
            unique = list(dict.fromkeys(entry[0] for _, entry in ordered))
            first = reference(unique, key)
            matched = None if first is None else unique[first]
        else:
            matched = key if any(entry[0] == key for entry in entries) else None
        for category in EnumMessageCategory:
            if matched is None:
                candidates = [] if default is None else [f"h{default}"]
            else:
                candidates = [f"h{entry[1]}" for _, entry in ordered if entry[0] == matched]
            expected = [h for h in candidates if _HANDLERS[int(h[1:])].category == category]
            first_answer = [h.handler_id for h in one.route_to_handlers(key, category)]
            assert first_answer == expected
            assert [h.handler_id for h in one.route_to_handlers(key, category)] == first_answer
            assert [h.handler_id for h in two.route_to_handlers(key, category)] == first_answer


def _routed(router: _Router, route: Any) -> tuple[str, Any]:
    """What routing an envelope gives: the handler ids, or the error's type, code and text."""
    try:
        return "handlers", [handler.handler_id for handler in route()]
    except Exception as exc:  # every failure is compared, whatever it is
        return "error", (type(exc).__name__, getattr(exc, "error_code", None), str(exc))


_KEYS = ["a", "b", "ab", "a.b", "*", "a*", "[ab]"]
_field_st = st.one_of(
    st.sampled_from(_KEYS),
    st.none(),
    st.just(""),
    st.text(alphabet=_ALPHABET, max_size=4),
    st.integers(0, 3),
    st.just(["unhashable"]),
)
_entries_st = st.lists(
    st.tuples(st.sampled_from(_KEYS), st.integers(0, 5), st.integers(-2, 2)),
    max_size=8,
    unique_by=lambda entry: (entry[0], entry[1]),
)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    entries=_entries_st,
    strategy=st.one_of(
        st.none(),
        st.sampled_from(["payload_type_match", "operation_match", "topic_pattern"]),
    ),
    fallback=st.sampled_from(list(EnumHandlerRoutingStrategy)),
    default=st.one_of(st.none(), st.integers(0, 5)),
    envelopes=st.lists(
        st.tuples(
            _field_st,
            _field_st,
            _field_st,
            st.one_of(st.sampled_from(list(EnumMessageCategory)), st.just("event"), st.none()),
        ),
        min_size=1,
        max_size=8,
    ),
    frozen=st.booleans(),
)
def test_routing_an_envelope_agrees_with_routing_its_key(
    entries: list[tuple[str, int, int]],
    strategy: str | None,
    fallback: EnumHandlerRoutingStrategy,
    default: int | None,
    envelopes: list[tuple[Any, Any, Any, Any]],
    frozen: bool,
) -> None:
    # _route_envelope looks the envelope's key up in the compiled table itself; whatever the
    # envelope holds (hostile values included), it answers as route_to_handlers does with the
    # key _routing_key_of reads, or raises the same error.
    if not entries and default is None:
        default = 0
    registry = ServiceHandlerRegistry()
    for handler in _HANDLERS:
        registry.register_handler(handler)
    if frozen:
        registry.freeze()
    routing = (
        None
        if strategy is None
        else ModelHandlerRoutingSubcontract.model_validate(
            {
                "version": "1.0.0",
                "routing_strategy": strategy,
                "handlers": [
                    {"routing_key": key, "handler_key": f"h{h}", "priority": priority}
                    for key, h, priority in entries
                ],
                "default_handler": None if default is None else f"h{default}",
            }
        )
    )
    router = _Router()
    router._init_handler_routing(routing, registry)
    for payload_type, operation, topic, category in envelopes:
        envelope = ModelEventEnvelope[Any].model_construct(
            payload_type=payload_type,
            operation=operation,
            topic=topic,
            category=category,
            payload=None,
        )

        def full_path(envelope: Any = envelope) -> list[Any]:
            key = router._routing_key_of(envelope, fallback)
            return router.route_to_handlers(key, envelope.category)

        expected = _routed(router, full_path)
        got = _routed(router, lambda envelope=envelope: router._route_envelope(envelope, fallback))
        assert got == expected
