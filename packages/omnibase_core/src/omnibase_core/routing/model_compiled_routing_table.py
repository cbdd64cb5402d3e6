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
    """Routing key -> handler keys, both in routing order; read-only."""
    table: dict[str, list[str]] = {}
    for _, entry in ordered_entries(handler_routing):
        table.setdefault(entry.routing_key, []).append(entry.handler_key)
    return MappingProxyType({key: tuple(value) for key, value in table.items()})


def find_routing_problems(
    handler_routing: ModelHandlerRoutingSubcontract | None,
    registry: ProtocolHandlerRegistry,
) -> list[ModelRoutingProblem]:
    """Every entry (and the default) whose handler is unknown or serves another category.

    The one resolution check behind both routing initialisation and
    ``onex contract validate --registry``. Problems come in file order, the default handler
    last.
    """
    if handler_routing is None:
        return []
    problems: list[ModelRoutingProblem] = []
    registered: str | None = None

    def unknown(
        index: int | None, routing_key: str | None, handler_key: str
    ) -> ModelRoutingProblem:
        nonlocal registered
        if registered is None:
            ids = sorted(handler.handler_id for handler in registry.get_handlers())
            registered = ", ".join(ids) or "none"
        return ModelRoutingProblem(
            "unknown_handler",
            "default_handler" if index is None else f"handlers[{index}]",
            routing_key,
            handler_key,
            f"no handler with id {handler_key!r} is registered (registered: {registered})",
            index,
        )

    for position, entry in enumerate(handler_routing.handlers):
        handler = registry.get_handler_by_id(entry.handler_key)
        if handler is None:
            problems.append(unknown(position, entry.routing_key, entry.handler_key))
        elif entry.message_category is not None and entry.message_category != handler.category:
            problems.append(
                ModelRoutingProblem(
                    "category_mismatch",
                    f"handlers[{position}]",
                    entry.routing_key,
                    entry.handler_key,
                    f"declares message_category {str(entry.message_category)!r} but handler "
                    f"{entry.handler_key!r} serves {str(handler.category)!r}",
                    position,
                )
            )
    default = handler_routing.default_handler
    if default is not None and registry.get_handler_by_id(default) is None:
        problems.append(unknown(None, None, default))
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

        def resolve(handler_key: str) -> ProtocolMessageHandler:
            handler = registry.get_handler_by_id(handler_key)
            if handler is None:  # pragma: no cover - compile() checks first
                raise KeyError(handler_key)
            return handler

        grouped: dict[str, list[ProtocolMessageHandler]] = {}
        for _, entry in entries:
            grouped.setdefault(entry.routing_key, []).append(resolve(entry.handler_key))
        default = () if self.default_handler_key is None else (resolve(self.default_handler_key),)
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
