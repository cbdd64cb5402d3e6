"""Finding the registered handler a routing entry names, in either contract shape."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from omnibase_core.models.contracts.subcontracts import (
        ModelClassReference,
        ModelHandlerRoutingEntry,
    )
    from omnibase_core.protocols.protocol_message_handler import ProtocolMessageHandler


class _HandlerLookup(Protocol):
    def get_handler_by_id(self, handler_id: str) -> ProtocolMessageHandler | None: ...

    def get_handlers(self) -> Sequence[ProtocolMessageHandler]: ...


class ModelHandlerResolver:
    """Resolves handler keys against one registry; the one rule routing and tools share.

    - A canonical entry's ``handler_key`` is a ``handler_id``.
    - A live entry's handler key is its class name (``handler.name``). It resolves to the
      registered handler whose class is exactly ``handler.module``.``handler.name``; when no
      registered handler is of that class, to the handler whose ``handler_id`` equals the
      class name. Several registered handlers of that class are ambiguous.
    - ``default_handler`` is a ``handler_id``.

    The class index is built on first use, once. Not thread-safe; build one per check.
    """

    def __init__(self, registry: _HandlerLookup) -> None:
        self._registry = registry
        self._by_class: dict[tuple[str, str], list[ProtocolMessageHandler]] | None = None
        self._registered: str | None = None

    def resolve(self, entry: ModelHandlerRoutingEntry) -> tuple[ProtocolMessageHandler | None, str]:
        """``(handler, "")`` for the handler ``entry`` names, or ``(None, why)``.

        ``why`` starts with ``ambiguous:`` when several handlers of the entry's class are
        registered, and otherwise says that nothing matched.
        """
        reference = entry.handler
        if reference is None:
            return self.resolve_id(entry.handler_key)
        matches = self._instances_of(reference)
        if len(matches) == 1:
            return matches[0], ""
        if matches:
            ids = ", ".join(sorted(handler.handler_id for handler in matches))
            return None, (
                f"ambiguous: {len(matches)} registered handlers are instances of "
                f"{reference.qualified_name} (ids {ids}); register one instance of the class"
            )
        handler = self._registry.get_handler_by_id(reference.name)
        if handler is not None:
            return handler, ""
        return None, (
            f"no registered handler is an instance of {reference.qualified_name} or has "
            f"handler_id {reference.name!r} (registered: {self.registered()})"
        )

    def resolve_id(self, handler_id: str) -> tuple[ProtocolMessageHandler | None, str]:
        """``(handler, "")`` for the handler registered as ``handler_id``, or ``(None, why)``."""
        handler = self._registry.get_handler_by_id(handler_id)
        if handler is not None:
            return handler, ""
        return (
            None,
            f"no handler with id {handler_id!r} is registered (registered: {self.registered()})",
        )

    def registered(self) -> str:
        """The registered handler ids, sorted and comma separated (``none`` when empty)."""
        if self._registered is None:
            ids = sorted(handler.handler_id for handler in self._registry.get_handlers())
            self._registered = ", ".join(ids) or "none"
        return self._registered

    def _instances_of(self, reference: ModelClassReference) -> list[ProtocolMessageHandler]:
        if self._by_class is None:
            index: dict[tuple[str, str], list[ProtocolMessageHandler]] = {}
            for handler in self._registry.get_handlers():
                cls = type(handler)
                index.setdefault((cls.__module__, cls.__qualname__), []).append(handler)
            self._by_class = index
        return self._by_class.get((reference.module, reference.name), [])
