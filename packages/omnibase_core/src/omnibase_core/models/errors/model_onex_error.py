"""The single exception type of the framework."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from omnibase_core.enums.enum_core_error_code import EnumCoreErrorCode


class ModelOnexError(Exception):
    """An error raised by the framework, carrying a code, a message and structured context.

    ``str(error)`` is ``"<CODE>: <message>"`` so logs and CLIs show the cause first. ``context``
    holds machine-readable details (the handler id, the contract path, the list of problems...)
    and is read-only.
    """

    def __init__(
        self,
        message: str,
        error_code: EnumCoreErrorCode = EnumCoreErrorCode.VALIDATION_ERROR,
        context: Mapping[str, Any] | None = None,
    ) -> None:
        error_code = EnumCoreErrorCode(error_code)
        self.message = message
        self.error_code = error_code
        self.context: Mapping[str, Any] = MappingProxyType(dict(context or {}))
        super().__init__(message)

    def __str__(self) -> str:
        return f"{self.error_code.value}: {self.message}"

    def __repr__(self) -> str:
        return f"ModelOnexError(error_code={self.error_code.name}, message={self.message!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.message, self.error_code, dict(self.context)))
