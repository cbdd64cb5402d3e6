"""A small dependency container for nodes."""

from __future__ import annotations

import threading
from typing import Any, TypeVar, overload

from omnibase_core.enums.enum_core_error_code import EnumCoreErrorCode
from omnibase_core.models.errors.model_onex_error import ModelOnexError

T = TypeVar("T")
ServiceKey = type[Any] | str


def _key_name(key: ServiceKey) -> str:
    return key if isinstance(key, str) else key.__name__


class ModelONEXContainer:
    """Holds the services a node needs, keyed by class or by protocol name.

    A service registered under a class is also found by that class's name, and a lookup by
    class also finds a service registered under a subclass or any instance of the class.
    Registration and lookup are thread-safe.
    """

    def __init__(self) -> None:
        self._services: dict[str, Any] = {}
        self._lock = threading.Lock()

    def register_service(self, key: ServiceKey, instance: Any) -> None:
        """Register ``instance`` under ``key`` (a class or a protocol name string).

        Raises ``ModelOnexError(INVALID_PARAMETER)`` for an empty key or a ``None`` instance,
        and ``DUPLICATE_REGISTRATION`` when the key is already taken (unregister it first).
        """
        if not isinstance(key, str | type) or not _key_name(key).strip():
            raise ModelOnexError(
                f"register_service: key {key!r} must be a class or a non-empty protocol name",
                EnumCoreErrorCode.INVALID_PARAMETER,
            )
        if instance is None:
            raise ModelOnexError(
                f"register_service: instance for {_key_name(key)!r} is None",
                EnumCoreErrorCode.INVALID_PARAMETER,
            )
        name = _key_name(key)
        with self._lock:
            if name in self._services:
                raise ModelOnexError(
                    f"register_service: a service is already registered under {name!r}; "
                    "call unregister_service first to replace it",
                    EnumCoreErrorCode.DUPLICATE_REGISTRATION,
                    {"key": name},
                )
            self._services[name] = instance

    def unregister_service(self, key: ServiceKey) -> bool:
        """Remove the service under ``key``; returns whether one was registered."""
        with self._lock:
            return self._services.pop(_key_name(key), None) is not None

    def has_service(self, key: ServiceKey) -> bool:
        """Whether ``get_service(key)`` would succeed."""
        return self._find(key) is not None

    @overload
    def get_service(self, key: type[T]) -> T: ...
    @overload
    def get_service(self, key: str) -> Any: ...
    def get_service(self, key: ServiceKey) -> Any:
        """Return the service registered under ``key``.

        Raises ``ModelOnexError(SERVICE_NOT_FOUND)`` naming the key and the registered keys.
        """
        found = self._find(key)
        if found is None:
            with self._lock:
                known = sorted(self._services)
            raise ModelOnexError(
                f"get_service: no service registered for {_key_name(key)!r} "
                f"(registered: {', '.join(known) or 'none'}); "
                "call container.register_service(key, instance) during start-up",
                EnumCoreErrorCode.SERVICE_NOT_FOUND,
                {"key": _key_name(key), "registered": known},
            )
        return found[0]

    def _find(self, key: ServiceKey) -> tuple[Any] | None:
        with self._lock:
            name = _key_name(key)
            if name in self._services:
                return (self._services[name],)
            if isinstance(key, type):
                for instance in self._services.values():
                    if isinstance(instance, key):
                        return (instance,)
        return None
