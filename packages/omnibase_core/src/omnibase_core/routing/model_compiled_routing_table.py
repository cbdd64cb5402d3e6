"""Handler routing resolved against a frozen registry, ready for lookups."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from omnibase_core.enums.enum_core_error_code import EnumCoreErrorCode
from omnibase_core.enums.enum_handler_routing_strategy import EnumHandlerRoutingStrategy
from omnibase_core.enums.enum_message_category import EnumMessageCategory
from omnibase_core.models.errors.model_onex_error import ModelOnexError
from omnibase_core.routing.model_compiled_topic_matcher import ModelCompiledTopicMatcher
from omnibase_core.routing.model_handler_resolver import ModelHandlerResolver
from omnibase_core.routing.model_routing_problem import ModelRoutingProblem

if TYPE_CHECKING:
    from omnibase_core.models.contracts.subcontracts import ModelHandlerRoutingSubcontract
    from omnibase_core.protocols.protocol_handler_registry import ProtocolHandlerRegistry
    from omnibase_core.protocols.protocol_message_handler import ProtocolMessageHandler

    Handlers = tuple[ProtocolMessageHandler, ...]

#: Default bound of the per-category topic result cache.
DEFAULT_TOPIC_CACHE_SIZE = 16384

_CATEGORIES = tuple(EnumMessageCategory)


def find_routing_problems(
    handler_routing: ModelHandlerRoutingSubcontract | None,
    registry: ProtocolHandlerRegistry,
) -> list[ModelRoutingProblem]:
    """Every entry (and the default) whose handler is unknown, ambiguous or serves another
    category.

    The one resolution check behind both routing initialisation and
    ``onex contract validate --registry``; handler keys resolve as
    :class:`ModelHandlerResolver` describes. Problems come in file order, the default handler
    last.
    """
    if handler_routing is None:
        return []
    problems: list[ModelRoutingProblem] = []
    resolver = ModelHandlerResolver(registry)
    for position, entry in enumerate(handler_routing.handlers):
        handler, why = resolver.resolve(entry)
        if handler is None:
            ambiguous = why.startswith("ambiguous:")
            problems.append(
                ModelRoutingProblem(
                    "ambiguous_handler" if ambiguous else "unknown_handler",
                    f"handlers[{position}]",
                    entry.routing_key,
                    entry.handler_key,
                    why.removeprefix("ambiguous: "),
                    position,
                )
            )
        elif entry.message_category is not None and entry.message_category != handler.category:
            problems.append(
                ModelRoutingProblem(
                    "category_mismatch",
                    f"handlers[{position}]",
                    entry.routing_key,
                    entry.handler_key,
                    f"declares message_category {str(entry.message_category)!r} but handler "
                    f"{handler.handler_id!r} serves {str(handler.category)!r}",
                    position,
                )
            )
    default = handler_routing.default_handler
    if default is not None:
        handler, why = resolver.resolve_id(default)
        if handler is None:
            problems.append(
                ModelRoutingProblem("unknown_handler", "default_handler", None, default, why)
            )
    return problems


def _split_by_category(handlers: Sequence[ProtocolMessageHandler]) -> dict[Any, Handlers]:
    return {
        category: tuple(handler for handler in handlers if handler.category == category)
        for category in _CATEGORIES
    }


def _resolved(found: tuple[ProtocolMessageHandler | None, str]) -> ProtocolMessageHandler:
    handler, why = found
    if handler is None:  # pragma: no cover - compile() checks first
        raise KeyError(why)
    return handler


class ModelCompiledRoutingTable:
    """Handler routing compiled into lookup tables of handler objects.

    Built once from a ``handler_routing`` section and a frozen registry (see :meth:`compile`).
    Every answer is a tuple of handlers, in routing order, that serve one category.

    ``lookup`` maps each category to a dict from routing key to that answer; it is what
    routing reads first. For the exact strategies it holds every routing key, is complete
    and never changes: a key it lacks gets ``misses[category]``, the default handler's
    answer, so an unknown key costs one more dict lookup and is never stored. For
    ``topic_pattern`` (``misses`` is ``None``) it is seeded with every pattern taken as a
    literal topic and then caches the answers :meth:`match_topic` computes, up to
    ``topic_cache_size`` topics per category beyond the seeds; when full it is emptied and
    re-seeded at once, never entry by entry, so there is no check-then-delete race and a
    reader that misses during a reset simply recomputes. Each table owns its caches, so
    replacing the table drops every cached answer.

    Safe to share between any number of threads.
    """

    __slots__ = (
        "_cache_limit",
        "_defaults",
        "_matcher",
        "_pattern_results",
        "_seeds",
        "lookup",
        "misses",
    )

    def __init__(
        self,
        handler_routing: ModelHandlerRoutingSubcontract | None,
        registry: ProtocolHandlerRegistry,
        *,
        topic_cache_size: int = DEFAULT_TOPIC_CACHE_SIZE,
    ) -> None:
        """Build the tables; every handler key must resolve (use :meth:`compile` to check).

        ``topic_cache_size`` bounds the topics cached per category beyond the routing keys
        themselves (0 disables the cache; exact strategies cache nothing).
        """
        resolver = ModelHandlerResolver(registry)
        grouped: dict[str, list[ProtocolMessageHandler]] = {}
        default: tuple[ProtocolMessageHandler, ...] = ()
        topics = False
        if handler_routing is not None:
            for entry in handler_routing.ordered_entries():
                handler = _resolved(resolver.resolve(entry))
                grouped.setdefault(entry.routing_key, []).append(handler)
            if handler_routing.default_handler is not None:
                default = (_resolved(resolver.resolve_id(handler_routing.default_handler)),)
            topics = handler_routing.routing_strategy is EnumHandlerRoutingStrategy.TOPIC_PATTERN
        self._defaults: dict[Any, Handlers] = _split_by_category(default)
        by_key = {key: _split_by_category(group) for key, group in grouped.items()}
        self._matcher: ModelCompiledTopicMatcher | None = None
        self._pattern_results: tuple[dict[Any, Handlers], ...] = ()
        self.misses: dict[Any, Handlers] | None = self._defaults
        if topics:
            self._matcher = ModelCompiledTopicMatcher(tuple(by_key))
            self._pattern_results = tuple(by_key.values())
            self.misses = None
            by_key = {pattern: self._answers_for(pattern) for pattern in by_key}
        seeds: dict[Any, dict[str, Handlers]] = {
            category: {key: answers[category] for key, answers in by_key.items()}
            for category in _CATEGORIES
        }
        size = max(0, topic_cache_size) if topics else 0
        self._cache_limit = 0 if size == 0 else size + len(by_key)
        #: What a topic cache is reset to when full (exact strategies never reset).
        self._seeds: dict[Any, dict[str, Handlers]] = seeds if topics else {}
        # Exact strategies: complete, and never changed after this. topic_pattern: copies of the
        # seeds that match_topic() fills with answers (and resets when full).
        self.lookup: dict[Any, dict[str, Handlers]] = (
            {category: dict(answers) for category, answers in seeds.items()} if topics else seeds
        )

    @classmethod
    def compile(
        cls,
        handler_routing: ModelHandlerRoutingSubcontract | None,
        registry: ProtocolHandlerRegistry,
        *,
        caller: str = "_init_handler_routing",
        topic_cache_size: int = DEFAULT_TOPIC_CACHE_SIZE,
    ) -> ModelCompiledRoutingTable:
        """Resolve every handler key against ``registry`` and build the table.

        Raises one ``ModelOnexError(CONTRACT_VALIDATION_ERROR)`` listing every unknown handler
        key and every category mismatch (context ``problems``: the texts; ``details``: dicts).
        """
        problems = find_routing_problems(handler_routing, registry)
        if problems:
            lines = "\n".join(f"  - {problem}" for problem in problems)
            raise ModelOnexError(
                f"{caller}: handler_routing does not match the handler registry "
                f"({len(problems)} problem{'s' if len(problems) != 1 else ''}):\n{lines}\n"
                "register the missing handlers before freeze() or fix the handler keys and "
                "message categories in the contract",
                EnumCoreErrorCode.CONTRACT_VALIDATION_ERROR,
                {
                    "problems": [str(problem) for problem in problems],
                    "details": [problem.as_dict() for problem in problems],
                },
            )
        return cls(handler_routing, registry, topic_cache_size=topic_cache_size)

    def route(self, routing_key: str, category: EnumMessageCategory) -> Handlers:
        """Handlers for ``routing_key`` that serve ``category``, in routing order.

        ``routing_key`` must be a string and ``category`` an ``EnumMessageCategory`` (or its
        value); the caller checks both. Raises ``KeyError`` for an unknown category.
        """
        found = self.lookup[category].get(routing_key)
        if found is not None:
            return found
        misses = self.misses
        if misses is not None:
            return misses[category]
        return self.match_topic(routing_key, category)

    def match_topic(self, topic: str, category: EnumMessageCategory) -> Handlers:
        """The ``topic_pattern`` answer for ``topic``: the handlers serving ``category`` of the
        first pattern that matches it, else the default's; remembered in ``lookup``.

        Only for a ``topic_pattern`` table (``misses`` is ``None``); raises ``KeyError`` for an
        unknown category.
        """
        found = self._answers_for(topic)[category]
        limit = self._cache_limit
        if limit:
            cache = self.lookup[category]
            if len(cache) >= limit:
                cache.clear()
                cache.update(self._seeds[category])
            cache[topic] = found
        return found

    def answer_count(self, category: EnumMessageCategory) -> int:
        """How many answers ``lookup`` holds for ``category``: the routing keys, plus for
        ``topic_pattern`` the topics cached so far (at most ``topic_cache_size`` more)."""
        return len(self.lookup[category])

    def _answers_for(self, topic: str) -> dict[Any, Handlers]:
        matcher = self._matcher
        index = None if matcher is None else matcher.first_match(topic)
        return self._defaults if index is None else self._pattern_results[index]


__all__ = [
    "DEFAULT_TOPIC_CACHE_SIZE",
    "ModelCompiledRoutingTable",
    "find_routing_problems",
]
