"""A handler's deliberate refusal of one message, with the dead-letter reason it names."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from omnibase_core.enums import EnumCoreErrorCode
from omnibase_core.models.errors import ModelOnexError
from omnibase_infra.enums import EnumDeadLetterReason


class ModelMessageRefusedError(ModelOnexError):
    """Raised by a handler that refuses a message for a known reason (a payload of the wrong
    type, a clock too far ahead...): the engine dead-letters the message with ``reason``
    instead of ``handler_error``, wherever the refusal sits in the cause chain (routing wraps
    handler errors). ``context`` carries ``dead_letter_reason`` for logs and callers.
    """

    def __init__(
        self,
        message: str,
        reason: EnumDeadLetterReason,
        context: Mapping[str, Any] | None = None,
        error_code: EnumCoreErrorCode = EnumCoreErrorCode.VALIDATION_ERROR,
    ) -> None:
        """``reason`` is the dead letter's reason; ``context`` adds structured details."""
        self.reason = EnumDeadLetterReason(reason)
        super().__init__(
            message, error_code, {"dead_letter_reason": self.reason.value, **(context or {})}
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.message, self.reason, dict(self.context), self.error_code))
