"""Contract-driven handler routing for nodes."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from omnibase_core.enums.enum_core_error_code import EnumCoreErrorCode
from omnibase_core.enums.enum_handler_routing_strategy import EnumHandlerRoutingStrategy
from omnibase_core.enums.enum_message_category import EnumMessageCategory
from omnibase_core.models.errors.model_onex_error import ModelOnexError
from omnibase_core.routing.model_compiled_routing_table import (
    DEFAULT_TOPIC_CACHE_SIZE,
    ModelCompiledRoutingTable,
    find_routing_problems,
)

if TYPE_CHECKING:
    from omnibase_core.models.contracts.subcontracts import ModelHandlerRoutingSubcontract
    from omnibase_core.models.events.model_event_envelope import ModelEventEnvelope
    from omnibase_core.protocols.protocol_handler_registry import ProtocolHandlerRegistry
    from omnibase_core.protocols.protocol_message_handler import ProtocolMessageHandler

_logger = logging.getLogger(__name__)

#: Serialises swaps of a node's routing state (initialisation and lazy resolution).
_STATE_LOCK = threading.Lock()

_CATEGORIES = frozenset(EnumMessageCategory)
_REGISTRY_ATTRIBUTES = ("is_frozen", "get_handler_by_id", "get_handlers")
_EMPTY_LOOKUP: Mapping[Any, Mapping[str, Any]] = MappingProxyType({})


class _RoutingState:
    """Everything routing needs, swapped as one immutable object.

    ``table`` is ``None`` until the handler keys are resolved against a frozen registry.
    ``lookup`` and ``misses`` are then the table's (see :class:`ModelCompiledRoutingTable`);
    before, ``lookup`` is empty, so every call takes the slow path, which resolves.
    """

    __slots__ = (
        "handler_routing",
        "initialized",
        "lookup",
        "misses",
        "registry",
        "strategy",
        "table",
    )

    def __init__(
        self,
        handler_routing: ModelHandlerRoutingSubcontract | None,
        registry: ProtocolHandlerRegistry | None,
        table: ModelCompiledRoutingTable | None,
        *,
        initialized: bool = True,
    ) -> None:
        self.handler_routing = handler_routing
        self.registry = registry
        self.table = table
        self.initialized = initialized
        self.lookup: Mapping[Any, Mapping[str, Any]] = (
            _EMPTY_LOOKUP if table is None else table.lookup
        )
        self.misses: Mapping[Any, Any] | None = None if table is None else table.misses
        #: The contract's strategy (``None``: the node's fallback applies).
        self.strategy: EnumHandlerRoutingStrategy | None = (
            None if handler_routing is None else handler_routing.routing_strategy
        )

    def resolved(self, table: ModelCompiledRoutingTable) -> _RoutingState:
        return _RoutingState(self.handler_routing, self.registry, table)


_UNINITIALIZED = _RoutingState(None, None, None, initialized=False)


class MixinHandlerRouting:
    """Routes messages to handlers as a contract's ``handler_routing`` section declares.

    Call :meth:`_init_handler_routing` once the contract is loaded (typically in the node's
    ``__init__``). The routing keys are payload type names, operations or topic globs
    depending on the strategy; entries are ordered by ``(priority, position in the file)``.
    Initialisation compiles tables of handler objects (see :class:`ModelCompiledRoutingTable`:
    fixed for exact strategies, plus a bounded answer cache for topics), so routing does no
    registry lookups; any number of threads may route at once, and re-initialising swaps the
    whole routing state atomically.

    Cooperative: ``__init__`` accepts and forwards ``**kwargs``, so the mixin can sit at any
    position of a class's bases.
    """

    _routing_state: _RoutingState = _UNINITIALIZED
    #: Bound of each per-category topic result cache; subclasses may override.
    topic_cache_size: int = DEFAULT_TOPIC_CACHE_SIZE

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._routing_state = _UNINITIALIZED

    # -- initialisation ---------------------------------------------------------------------

    def _init_handler_routing(
        self,
        handler_routing: ModelHandlerRoutingSubcontract | None,
        registry: ProtocolHandlerRegistry,
    ) -> None:
        """Initialise (or re-initialise) routing from ``handler_routing`` and ``registry``.

        ``handler_routing`` ``None`` means no routes and no default. When ``registry`` is
        frozen every handler key is resolved now; otherwise on the first route or validate
        call after ``freeze()``. Nothing changes when this raises.

        Raises ``ModelOnexError``: ``INVALID_PARAMETER`` when ``registry`` is ``None`` or not
        a handler registry, or ``handler_routing`` is not a ``ModelHandlerRoutingSubcontract``;
        ``CONTRACT_VALIDATION_ERROR`` listing every unknown handler key and every declared
        ``message_category`` that differs from its handler's category.
        """
        cls_name = type(self).__name__
        if registry is None:
            raise ModelOnexError(
                f"{cls_name}._init_handler_routing: registry is None; pass the handler "
                "registry (e.g. a ServiceHandlerRegistry) the routing keys resolve against",
                EnumCoreErrorCode.INVALID_PARAMETER,
            )
        missing = [name for name in _REGISTRY_ATTRIBUTES if not hasattr(registry, name)]
        if missing:
            raise ModelOnexError(
                f"{cls_name}._init_handler_routing: registry {type(registry).__name__} is not "
                f"a handler registry (lacks {', '.join(missing)}); pass an object implementing "
                "ProtocolHandlerRegistry",
                EnumCoreErrorCode.INVALID_PARAMETER,
                {"missing": missing},
            )
        if handler_routing is not None:
            from omnibase_core.models.contracts.subcontracts import (
                ModelHandlerRoutingSubcontract,
            )

            if not isinstance(handler_routing, ModelHandlerRoutingSubcontract):
                raise ModelOnexError(
                    f"{cls_name}._init_handler_routing: handler_routing is a "
                    f"{type(handler_routing).__name__}, expected ModelHandlerRoutingSubcontract "
                    "or None; validate the contract section first "
                    "(ModelHandlerRoutingSubcontract.model_validate(data))",
                    EnumCoreErrorCode.INVALID_PARAMETER,
                )
        table = None
        if registry.is_frozen:
            table = ModelCompiledRoutingTable.compile(
                handler_routing,
                registry,
                caller=f"{cls_name}._init_handler_routing",
                topic_cache_size=self.topic_cache_size,
            )
        state = _RoutingState(handler_routing, registry, table)
        with _STATE_LOCK:
            self._routing_state = state
        if _logger.isEnabledFor(logging.DEBUG):
            _logger.debug(
                "%s: handler routing initialised (%s, %d entries, default %r, %s)",
                cls_name,
                state.handler_routing.routing_strategy if state.handler_routing else None,
                len(state.handler_routing.handlers) if state.handler_routing else 0,
                state.handler_routing.default_handler if state.handler_routing else None,
                "resolved" if table is not None else "resolution deferred until freeze()",
            )

    # -- routing ----------------------------------------------------------------------------

    def route_to_handlers(
        self, routing_key: str, category: EnumMessageCategory
    ) -> list[ProtocolMessageHandler]:
        """The handlers for ``routing_key`` that serve ``category``, in routing order.

        A new list on every call. Falls back to the default handler (if it serves
        ``category``) only when no entry matches ``routing_key`` at all.

        Raises ``ModelOnexError``: ``INVALID_STATE`` before :meth:`_init_handler_routing` or
        while the registry is not frozen; ``CONTRACT_VALIDATION_ERROR`` when deferred
        resolution finds unknown handler keys; ``INVALID_PARAMETER`` for a non-string key or
        an unknown category.
        """
        state = self._routing_state
        try:
            by_key = state.lookup.get(category)
            if by_key is not None:
                found = by_key.get(routing_key)
                if found is not None:
                    return list(found)
                if isinstance(routing_key, str):
                    misses = state.misses
                    if misses is not None:  # exact strategies: the default's answer
                        return list(misses[category])
                    table = state.table
                    if table is not None:  # topic_pattern: match, then cache
                        return list(table.match_topic(routing_key, category))
        except TypeError:  # an unhashable key or category: the slow path says which
            pass
        return self._route_slow(state, routing_key, category)

    def _route_slow(
        self, state: _RoutingState, routing_key: str, category: EnumMessageCategory
    ) -> list[ProtocolMessageHandler]:
        table = state.table or self._resolve_routing(state, "route_to_handlers")
        if not isinstance(routing_key, str):
            raise ModelOnexError(
                f"{type(self).__name__}.route_to_handlers: routing_key {routing_key!r} is not a "
                "string; pass the payload type name, operation or topic of the envelope",
                EnumCoreErrorCode.INVALID_PARAMETER,
                {"routing_key": repr(routing_key)},
            )
        try:
            known = category in _CATEGORIES
        except TypeError:
            known = False
        if not known:
            raise ModelOnexError(
                f"{type(self).__name__}.route_to_handlers: category {category!r} is not an "
                f"EnumMessageCategory ({', '.join(c.value for c in EnumMessageCategory)})",
                EnumCoreErrorCode.INVALID_PARAMETER,
                {"category": repr(category)},
            )
        return list(table.route(routing_key, category))

    def _resolve_routing(self, state: _RoutingState, caller: str) -> ModelCompiledRoutingTable:
        """Compile the deferred table of ``state`` and install it unless routing was replaced."""
        name = f"{type(self).__name__}.{caller}"
        registry = self._frozen_registry(state, name, "route")
        table = ModelCompiledRoutingTable.compile(
            state.handler_routing, registry, caller=name, topic_cache_size=self.topic_cache_size
        )
        with _STATE_LOCK:
            if self._routing_state is state:
                self._routing_state = state.resolved(table)
        return table

    @staticmethod
    def _frozen_registry(state: _RoutingState, name: str, then: str) -> ProtocolHandlerRegistry:
        """``state``'s registry, ready to resolve handler keys against.

        Raises ``ModelOnexError(INVALID_STATE)`` (prefixed with ``name``) before
        initialisation or while the registry is not frozen (the fix ends with ``then``).
        """
        registry = state.registry
        if not state.initialized or registry is None:
            raise ModelOnexError(
                f"{name}: handler routing is not initialised; call "
                "_init_handler_routing(handler_routing, registry) first (usually in __init__)",
                EnumCoreErrorCode.INVALID_STATE,
            )
        if not registry.is_frozen:
            raise ModelOnexError(
                f"{name}: the handler registry is not frozen; call freeze() after registering "
                f"handlers, then {then}",
                EnumCoreErrorCode.INVALID_STATE,
            )
        return registry

    def _route_envelope(
        self, envelope: ModelEventEnvelope[Any], fallback: EnumHandlerRoutingStrategy
    ) -> list[ProtocolMessageHandler]:
        """The handlers for ``envelope`` (its routing key and category), in routing order.

        Raises ``ModelOnexError``: ``INVALID_PARAMETER`` when the envelope lacks its routing
        key; ``INVALID_STATE`` when routing is not initialised or the registry not frozen.
        """
        # Fast path: the field the strategy reads, looked up in the compiled table (no match
        # here, or anything unusual, takes the full path below, which also raises).
        state = self._routing_state
        strategy = state.strategy or fallback
        if strategy is EnumHandlerRoutingStrategy.OPERATION_MATCH:
            key = envelope.operation
        elif strategy is EnumHandlerRoutingStrategy.TOPIC_PATTERN:
            key = envelope.topic
        else:
            key = envelope.payload_type
        try:
            by_key = state.lookup.get(envelope.category) if key else None
            if key and by_key is not None:
                found = by_key.get(key)
                if found is not None:
                    return list(found)
        except TypeError:  # an unhashable key or category: the full path says which
            pass
        routing_key = self._routing_key_of(envelope, fallback)
        return self.route_to_handlers(routing_key, envelope.category)

    def _routing_key_of(
        self, envelope: ModelEventEnvelope[Any], fallback: EnumHandlerRoutingStrategy
    ) -> str:
        """The envelope field the routing strategy matches (``fallback`` without a contract).

        Raises ``ModelOnexError(INVALID_PARAMETER)`` when that field is missing or empty.
        """
        strategy = self.routing_strategy or fallback
        if strategy is EnumHandlerRoutingStrategy.OPERATION_MATCH:
            key, field = envelope.operation, "operation"
        elif strategy is EnumHandlerRoutingStrategy.TOPIC_PATTERN:
            key, field = envelope.topic, "topic"
        else:
            key, field = envelope.payload_type, "payload_type"
        if not key:
            raise ModelOnexError(
                f"{type(self).__name__}: envelope {envelope.envelope_id} has no {field}, but "
                f"this node routes by {strategy.value}; set envelope.{field}",
                EnumCoreErrorCode.INVALID_PARAMETER,
                {"envelope_id": str(envelope.envelope_id), "field": field},
            )
        return key

    # -- introspection ----------------------------------------------------------------------

    def validate_handler_routing(self) -> list[str]:
        """Every routing problem as text (empty when routing is sound), without raising them.

        Resolves deferred routing when it is sound. Raises ``ModelOnexError(INVALID_STATE)``
        before initialisation or while the registry is not frozen.
        """
        state = self._routing_state
        name = f"{type(self).__name__}.validate_handler_routing"
        registry = self._frozen_registry(state, name, "validate")
        problems = [
            str(problem) for problem in find_routing_problems(state.handler_routing, registry)
        ]
        if not problems and state.table is None:
            self._resolve_routing(state, "validate_handler_routing")
        return problems

    def get_routing_table(self) -> dict[str, list[str]]:
        """Routing key -> handler keys, both in routing order; a fresh deep copy.

        Raises ``ModelOnexError(INVALID_STATE)`` before initialisation.
        """
        state = self._routing_state
        if not state.initialized:
            raise ModelOnexError(
                f"{type(self).__name__}.get_routing_table: handler routing is not initialised; "
                "call _init_handler_routing(handler_routing, registry) first",
                EnumCoreErrorCode.INVALID_STATE,
            )
        handler_routing = state.handler_routing
        return {} if handler_routing is None else handler_routing.build_routing_table()

    @property
    def routing_strategy(self) -> EnumHandlerRoutingStrategy | None:
        """The contract's strategy; ``None`` before initialisation or without a routing section."""
        handler_routing = self._routing_state.handler_routing
        return None if handler_routing is None else handler_routing.routing_strategy

    @property
    def default_handler_key(self) -> str | None:
        """The contract's ``default_handler``, if any."""
        handler_routing = self._routing_state.handler_routing
        return None if handler_routing is None else handler_routing.default_handler

    @property
    def is_routing_initialized(self) -> bool:
        """Whether :meth:`_init_handler_routing` has succeeded on this object."""
        return self._routing_state.initialized

    @property
    def compiled_routing_table(self) -> ModelCompiledRoutingTable | None:
        """The table routing reads, or ``None`` until the handler keys are resolved (at
        initialisation against a frozen registry, else at the first route or validate call
        after ``freeze()``). For introspection; routing itself never needs it."""
        return self._routing_state.table
