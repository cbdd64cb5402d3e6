"""The handler registry: filled at start-up, frozen, then only read."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from enum import Enum
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeVar

from omnibase_core.enums.enum_core_error_code import EnumCoreErrorCode
from omnibase_core.enums.enum_message_category import EnumMessageCategory
from omnibase_core.enums.enum_node_kind import EnumNodeKind
from omnibase_core.models.errors.model_onex_error import ModelOnexError
from omnibase_core.models.primitives.contract_key import is_blank, strip_invisible

if TYPE_CHECKING:
    from omnibase_core.protocols.protocol_message_handler import ProtocolMessageHandler

_E = TypeVar("_E", bound=Enum)
_REQUIRED_ATTRIBUTES = ("handler_id", "category", "message_types", "node_kind", "handle")

#: The legal execution shapes: which node kinds may run a handler of each category.
LEGAL_NODE_KINDS: Mapping[EnumMessageCategory, frozenset[EnumNodeKind]] = MappingProxyType(
    {
        EnumMessageCategory.EVENT: frozenset({EnumNodeKind.ORCHESTRATOR, EnumNodeKind.REDUCER}),
        EnumMessageCategory.COMMAND: frozenset({EnumNodeKind.ORCHESTRATOR, EnumNodeKind.EFFECT}),
        EnumMessageCategory.INTENT: frozenset({EnumNodeKind.EFFECT, EnumNodeKind.ORCHESTRATOR}),
    }
)


def _describe(handler: object) -> str:
    handler_id = getattr(handler, "handler_id", None)
    return f"{type(handler).__name__}(handler_id={handler_id!r})"


def _member_of(enum_type: type[_E], handler: Any, attribute: str, handler_id: str) -> _E:
    """``handler``'s ``attribute``, which must be a member of ``enum_type``.

    Raises ``ModelOnexError(INVALID_PARAMETER)`` naming the handler, the value and the members.
    """
    value = getattr(handler, attribute)
    if not isinstance(value, enum_type):
        raise ModelOnexError(
            f"register_handler: {_describe(handler)} has {attribute} {value!r}; expected an "
            f"{enum_type.__name__} ({', '.join(member.name for member in enum_type)})",
            EnumCoreErrorCode.INVALID_PARAMETER,
            {"handler_id": handler_id, attribute: repr(value)},
        )
    return value


class _FrozenIndexes:
    """Read-only indexes built once by :meth:`ServiceHandlerRegistry.freeze`."""

    __slots__ = ("all", "by_category", "by_category_and_type", "by_id", "by_message_type")

    def __init__(self, handlers: Mapping[str, ProtocolMessageHandler]) -> None:
        ordered = tuple(handlers.values())
        by_category: dict[EnumMessageCategory, list[ProtocolMessageHandler]] = {}
        by_type: dict[str, list[ProtocolMessageHandler]] = {}
        by_pair: dict[tuple[EnumMessageCategory, str], list[ProtocolMessageHandler]] = {}
        for handler in ordered:
            category = EnumMessageCategory(handler.category)
            by_category.setdefault(category, []).append(handler)
            for message_type in sorted(handler.message_types):
                by_type.setdefault(message_type, []).append(handler)
                by_pair.setdefault((category, message_type), []).append(handler)
        self.all: tuple[ProtocolMessageHandler, ...] = ordered
        self.by_id: Mapping[str, ProtocolMessageHandler] = MappingProxyType(dict(handlers))
        self.by_category: Mapping[EnumMessageCategory, tuple[ProtocolMessageHandler, ...]] = (
            MappingProxyType({key: tuple(value) for key, value in by_category.items()})
        )
        self.by_message_type: Mapping[str, tuple[ProtocolMessageHandler, ...]] = MappingProxyType(
            {key: tuple(value) for key, value in by_type.items()}
        )
        self.by_category_and_type: Mapping[
            tuple[EnumMessageCategory, str], tuple[ProtocolMessageHandler, ...]
        ] = MappingProxyType({key: tuple(value) for key, value in by_pair.items()})


class ServiceHandlerRegistry:
    """Registry of message handlers with the freeze-after-setup pattern.

    Handlers are registered (from any number of threads, under a lock) during start-up, then
    :meth:`freeze` builds read-only indexes by id, by category and by message type. After the
    freeze the registry never changes, so every read is lock-free and safe from any number of
    threads. Reads before the freeze are allowed and take the lock. Handlers keep their
    registration order in every answer.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._handlers: dict[str, ProtocolMessageHandler] = {}
        self._indexes: _FrozenIndexes | None = None

    # -- registration -----------------------------------------------------------------------

    def register_handler(self, handler: ProtocolMessageHandler) -> None:
        """Add ``handler`` under its ``handler_id``.

        Raises ``ModelOnexError``: ``INVALID_PARAMETER`` when the handler lacks a required
        attribute (``handler_id``, ``category``, ``message_types``, ``node_kind``, ``handle``)
        or has a malformed one; ``VALIDATION_ERROR`` when its category cannot run in its node
        kind (EVENT->ORCHESTRATOR|REDUCER, COMMAND->ORCHESTRATOR|EFFECT,
        INTENT->EFFECT|ORCHESTRATOR); ``DUPLICATE_REGISTRATION`` when the id is taken;
        ``INVALID_STATE`` after :meth:`freeze`.
        """
        handler_id = self._validate(handler)
        with self._lock:
            if self._indexes is not None:
                raise ModelOnexError(
                    f"register_handler: cannot register {_describe(handler)}: the registry is "
                    "frozen; register every handler before calling freeze()",
                    EnumCoreErrorCode.INVALID_STATE,
                    {"handler_id": handler_id},
                )
            existing = self._handlers.get(handler_id)
            if existing is not None:
                raise ModelOnexError(
                    f"register_handler: handler_id {handler_id!r} is already registered by "
                    f"{_describe(existing)}; give {_describe(handler)} a unique handler_id "
                    "or unregister the existing handler first",
                    EnumCoreErrorCode.DUPLICATE_REGISTRATION,
                    {"handler_id": handler_id, "existing_handler": _describe(existing)},
                )
            self._handlers[handler_id] = handler

    def unregister_handler(self, handler_id: str) -> bool:
        """Remove the handler registered under ``handler_id``; returns whether one was removed.

        Raises ``ModelOnexError(INVALID_STATE)`` after :meth:`freeze`: a frozen registry never
        changes.
        """
        with self._lock:
            if self._indexes is not None:
                raise ModelOnexError(
                    f"unregister_handler: cannot unregister {handler_id!r}: the registry is "
                    "frozen; unregister handlers before calling freeze()",
                    EnumCoreErrorCode.INVALID_STATE,
                    {"handler_id": handler_id},
                )
            return self._handlers.pop(handler_id, None) is not None

    def freeze(self) -> None:
        """Stop accepting changes and build the read-only indexes. Calling it again is a no-op."""
        with self._lock:
            if self._indexes is None:
                self._indexes = _FrozenIndexes(self._handlers)

    # -- reads ------------------------------------------------------------------------------

    @property
    def is_frozen(self) -> bool:
        """Whether :meth:`freeze` has been called."""
        return self._indexes is not None

    @property
    def handler_count(self) -> int:
        """Number of registered handlers."""
        indexes = self._indexes
        if indexes is not None:
            return len(indexes.all)
        with self._lock:
            return len(self._handlers)

    def get_handler_by_id(self, handler_id: str) -> ProtocolMessageHandler | None:
        """The handler registered under ``handler_id``, or ``None``."""
        indexes = self._indexes
        if indexes is not None:
            return indexes.by_id.get(handler_id)
        with self._lock:
            return self._handlers.get(handler_id)

    def get_handlers(
        self,
        category: EnumMessageCategory | None = None,
        message_type: str | None = None,
    ) -> list[ProtocolMessageHandler]:
        """Handlers in registration order, optionally filtered; always a new list.

        ``category`` keeps the handlers of that category, ``message_type`` those whose
        ``message_types`` contains it; both together keep handlers matching both.
        """
        indexes = self._indexes
        if indexes is None:
            with self._lock:
                snapshot = tuple(self._handlers.values())
            return [
                handler
                for handler in snapshot
                if (category is None or handler.category == category)
                and (message_type is None or message_type in handler.message_types)
            ]
        if category is None and message_type is None:
            return list(indexes.all)
        if message_type is None:
            return list(indexes.by_category.get(category, ()))  # type: ignore[arg-type]
        if category is None:
            return list(indexes.by_message_type.get(message_type, ()))
        return list(indexes.by_category_and_type.get((category, message_type), ()))

    # -- validation -------------------------------------------------------------------------

    @staticmethod
    def _validate(handler: Any) -> str:
        if handler is None:
            raise ModelOnexError(
                "register_handler: handler is None; pass a handler object",
                EnumCoreErrorCode.INVALID_PARAMETER,
            )
        missing = [name for name in _REQUIRED_ATTRIBUTES if not hasattr(handler, name)]
        if missing:
            raise ModelOnexError(
                f"register_handler: {_describe(handler)} lacks required attribute(s) "
                f"{', '.join(missing)}; a handler needs {', '.join(_REQUIRED_ATTRIBUTES)}",
                EnumCoreErrorCode.INVALID_PARAMETER,
                {"missing": missing},
            )
        handler_id = handler.handler_id
        if not isinstance(handler_id, str) or is_blank(handler_id):
            raise ModelOnexError(
                f"register_handler: handler_id {handler_id!r} of {type(handler).__name__} must "
                "be a non-empty string (whitespace and invisible characters do not count)",
                EnumCoreErrorCode.INVALID_PARAMETER,
                {"handler_id": repr(handler_id)},
            )
        if handler_id != strip_invisible(handler_id):
            raise ModelOnexError(
                f"register_handler: handler_id {handler_id!r} starts or ends with whitespace or "
                "an invisible character; contracts strip their keys of them, so it could never "
                "be routed to; strip it",
                EnumCoreErrorCode.INVALID_PARAMETER,
                {"handler_id": handler_id},
            )
        category = _member_of(EnumMessageCategory, handler, "category", handler_id)
        node_kind = _member_of(EnumNodeKind, handler, "node_kind", handler_id)
        message_types = handler.message_types
        if (
            isinstance(message_types, str | bytes)
            or not isinstance(message_types, Iterable)
            or not all(isinstance(item, str) for item in message_types)
        ):
            raise ModelOnexError(
                f"register_handler: {_describe(handler)} has message_types {message_types!r}; "
                "expected a set of payload type names (strings)",
                EnumCoreErrorCode.INVALID_PARAMETER,
                {"handler_id": handler_id},
            )
        if not callable(handler.handle):
            raise ModelOnexError(
                f"register_handler: {_describe(handler)}.handle is not callable; "
                "define 'async def handle(self, envelope)'",
                EnumCoreErrorCode.INVALID_PARAMETER,
                {"handler_id": handler_id},
            )
        legal = LEGAL_NODE_KINDS[category]
        if node_kind not in legal:
            allowed = " or ".join(sorted(kind.name for kind in legal))
            raise ModelOnexError(
                f"register_handler: {_describe(handler)} serves {category.name} messages in a "
                f"{node_kind.name} node, which is not a legal execution shape; a "
                f"{category.name} handler must run in {allowed}",
                EnumCoreErrorCode.VALIDATION_ERROR,
                {
                    "handler_id": handler_id,
                    "category": category.value,
                    "node_kind": node_kind.value,
                },
            )
        return handler_id
