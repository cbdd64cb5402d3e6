"""Handler routing resolved against a frozen registry, ready for lookups."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Protocol

from omnibase_core.enums.enum_core_error_code import EnumCoreErrorCode
from omnibase_core.enums.enum_handler_routing_strategy import EnumHandlerRoutingStrategy
from omnibase_core.enums.enum_message_category import EnumMessageCategory
from omnibase_core.models.errors.model_onex_error import ModelOnexError
from omnibase_core.routing.model_compiled_topic_matcher import ModelCompiledTopicMatcher
from omnibase_core.routing.model_handler_resolver import ModelHandlerResolver
from omnibase_core.routing.model_routing_problem import ModelRoutingProblem

if TYPE_CHECKING:
    from omnibase_core.models.contracts.subcontracts import (
        ModelHandlerRoutingEntry,
        ModelHandlerRoutingSubcontract,
    )
    from omnibase_core.protocols.protocol_handler_registry import ProtocolHandlerRegistry
    from omnibase_core.protocols.protocol_message_handler import ProtocolMessageHandler

    Handlers = tuple[ProtocolMessageHandler, ...]

#: Default bound of the per-category topic result cache.
DEFAULT_TOPIC_CACHE_SIZE = 16384

_CATEGORIES = tuple(EnumMessageCategory)


class _HandlerLookup(Protocol):
    def get_handler_by_id(self, handler_id: str) -> ProtocolMessageHandler | None: ...

    def get_handlers(self) -> Sequence[ProtocolMessageHandler]: ...


def ordered_entries(
    handler_routing: ModelHandlerRoutingSubcontract | None,
) -> tuple[tuple[int, ModelHandlerRoutingEntry], ...]:
    """``(position in the file, entry)`` pairs in routing order: by priority, then position."""
    if handler_routing is None:
        return ()
    return tuple(sorted(enumerate(handler_routing.handlers), key=lambda pair: pair[1].priority))


def handler_keys_by_routing_key(
    handler_routing: ModelHandlerRoutingSubcontract | None,
) -> Mapping[str, tuple[str, ...]]:
    """Routing key -> handler keys, both in routing order; read-only (see
    ``ModelHandlerRoutingSubcontract.build_routing_table``)."""
    if handler_routing is None:
        return MappingProxyType({})
    table = handler_routing.build_routing_table()
    return MappingProxyType({key: tuple(value) for key, value in table.items()})


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


class ModelCompiledRoutingTable:
    """Handler routing compiled into immutable lookup tables of handler objects.

    Built once from a ``handler_routing`` section and a frozen registry (see :meth:`compile`).
    The answers come from immutable structures: for exact strategies a dict per category from
    routing key to the tuple of handlers (in routing order) serving that category, for
    ``topic_pattern`` a :class:`ModelCompiledTopicMatcher` and the handler tuples of each
    pattern, plus the default handler's tuple per category.

    In front of them sits ``lookup``: per category, a bounded dict of answers already given
    (for exact strategies pre-seeded with every routing key), so a repeated key costs two
    dict lookups. It only ever holds correct answers; when it outgrows its bound it is emptied
    (and re-seeded) at once, never entry by entry, so there is no check-then-delete race, and
    a reader that misses during a reset simply recomputes from the immutable structures. Each
    table owns its caches, so replacing the table drops every cached answer.

    Safe to share between any number of threads.
    """

    __slots__ = (
        "_cache_limit",
        "_defaults",
        "_exact",
        "_matcher",
        "_pattern_results",
        "default_handler_key",
        "lookup",
        "routing_strategy",
        "routing_table",
    )

    def __init__(
        self,
        handler_routing: ModelHandlerRoutingSubcontract | None,
        registry: _HandlerLookup,
        *,
        topic_cache_size: int = DEFAULT_TOPIC_CACHE_SIZE,
    ) -> None:
        """Build the tables; every handler key must resolve (use :meth:`compile` to check).

        ``topic_cache_size`` bounds the answers cached per category beyond the routing keys
        themselves (0 disables the cache).
        """
        entries = ordered_entries(handler_routing)
        self.routing_strategy: EnumHandlerRoutingStrategy | None = (
            None if handler_routing is None else handler_routing.routing_strategy
        )
        self.default_handler_key: str | None = (
            None if handler_routing is None else handler_routing.default_handler
        )
        self.routing_table = handler_keys_by_routing_key(handler_routing)

        resolver = ModelHandlerResolver(registry)

        def resolved(found: tuple[ProtocolMessageHandler | None, str]) -> ProtocolMessageHandler:
            handler, why = found
            if handler is None:  # pragma: no cover - compile() checks first
                raise KeyError(why)
            return handler

        grouped: dict[str, list[ProtocolMessageHandler]] = {}
        for _, entry in entries:
            grouped.setdefault(entry.routing_key, []).append(resolved(resolver.resolve(entry)))
        default = (
            ()
            if self.default_handler_key is None
            else (resolved(resolver.resolve_id(self.default_handler_key)),)
        )
        self._defaults: Mapping[Any, Handlers] = MappingProxyType(_split_by_category(default))
        self._matcher: ModelCompiledTopicMatcher | None = None
        self._pattern_results: tuple[Mapping[Any, Handlers], ...] = ()
        exact: dict[Any, dict[str, Handlers]] = {category: {} for category in _CATEGORIES}
        if self.routing_strategy is EnumHandlerRoutingStrategy.TOPIC_PATTERN:
            self._matcher = ModelCompiledTopicMatcher(tuple(grouped))
            self._pattern_results = tuple(
                MappingProxyType(_split_by_category(group)) for group in grouped.values()
            )
        else:
            for routing_key, group in grouped.items():
                for category, handlers in _split_by_category(group).items():
                    exact[category][routing_key] = handlers
        self._exact: Mapping[Any, Mapping[str, Handlers]] = MappingProxyType(
            {category: MappingProxyType(table) for category, table in exact.items()}
        )
        size = max(0, topic_cache_size)
        self._cache_limit = 0 if size == 0 else size + len(exact[_CATEGORIES[0]])
        # A plain dict on purpose: it is read on every route call. Never mutated after this.
        self.lookup: dict[Any, dict[str, Handlers]] = {
            category: dict(table) for category, table in exact.items()
        }

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

        Computed from the immutable tables and remembered in ``lookup``. ``category`` must be
        an ``EnumMessageCategory`` (or its value).
        """
        if self._matcher is None:
            found = self._exact[category].get(routing_key)
            if found is None:
                found = self._defaults[category]
        else:
            index = self._matcher.first_match(routing_key)
            results = self._defaults if index is None else self._pattern_results[index]
            found = results[category]
        limit = self._cache_limit
        if limit:
            cache = self.lookup[category]
            if len(cache) >= limit:
                cache.clear()
                cache.update(self._exact[category])
            cache[routing_key] = found
        return found

    @property
    def topic_matcher(self) -> ModelCompiledTopicMatcher | None:
        """The compiled matcher of a ``topic_pattern`` table, else ``None``."""
        return self._matcher


__all__ = [
    "DEFAULT_TOPIC_CACHE_SIZE",
    "ModelCompiledRoutingTable",
    "find_routing_problems",
    "handler_keys_by_routing_key",
    "ordered_entries",
]
