"""Running one handler on one envelope with the framework's error contract."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from omnibase_core.enums.enum_core_error_code import EnumCoreErrorCode
from omnibase_core.models.errors.model_onex_error import ModelOnexError

if TYPE_CHECKING:
    from omnibase_core.models.dispatch.model_handler_output import ModelHandlerOutput
    from omnibase_core.models.events.model_event_envelope import ModelEventEnvelope
    from omnibase_core.protocols.protocol_message_handler import ProtocolMessageHandler


async def run_handlers_in_order(
    owner: str,
    envelope: ModelEventEnvelope[Any],
    handlers: list[ProtocolMessageHandler],
) -> list[ModelHandlerOutput]:
    """Await each handler on ``envelope`` in order and collect the outputs.

    Stops at the first failure. A handler that raises, or returns something other than a
    ``ModelHandlerOutput``, becomes ``ModelOnexError(HANDLER_EXECUTION_ERROR)`` naming
    ``owner``, the handler id and the envelope id, with the original exception as
    ``__cause__``. Cancellation is never wrapped.
    """
    from omnibase_core.models.dispatch.model_handler_output import (
        ModelHandlerOutput,
    )

    outputs: list[ModelHandlerOutput] = []
    for handler in handlers:
        try:
            output = await handler.handle(envelope)
        except Exception as exc:
            handler_id = handler.handler_id
            raise ModelOnexError(
                f"{owner}: handler {handler_id!r} failed on envelope {envelope.envelope_id} "
                f"({envelope.payload_type or 'no payload_type'}): "
                f"{type(exc).__name__}: {exc}",
                EnumCoreErrorCode.HANDLER_EXECUTION_ERROR,
                _context(handler_id, envelope, error_type=type(exc).__name__),
            ) from exc
        if not isinstance(output, ModelHandlerOutput):
            raise ModelOnexError(
                f"{owner}: handler {handler.handler_id!r} returned {type(output).__name__} for "
                f"envelope {envelope.envelope_id}; handle() must return a ModelHandlerOutput",
                EnumCoreErrorCode.HANDLER_EXECUTION_ERROR,
                _context(handler.handler_id, envelope),
            )
        outputs.append(output)
    return outputs


def _context(handler_id: str, envelope: ModelEventEnvelope[Any], **extra: str) -> dict[str, str]:
    # Built only on failure: the success path allocates nothing but the outputs list.
    return {"handler_id": handler_id, "envelope_id": str(envelope.envelope_id), **extra}
