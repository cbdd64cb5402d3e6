"""Running a node's routed handlers for one message, in order, with one error contract."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from omnibase_core.enums.enum_core_error_code import EnumCoreErrorCode
from omnibase_core.models.errors.model_onex_error import ModelOnexError

if TYPE_CHECKING:
    from omnibase_core.models.dispatch.model_handler_output import ModelHandlerOutput
    from omnibase_core.models.events.model_event_envelope import ModelEventEnvelope
    from omnibase_core.protocols.protocol_message_handler import ProtocolMessageHandler


class MixinHandlerExecution:
    """Runs the handlers routing chose for one message: each in turn, stopping at a failure.

    Handlers run strictly one after another in fan-out order (the contract's routing order),
    so a later handler never overtakes an earlier one and a failed handler is never followed
    by a later one for the same message. The one implementation behind
    :class:`MixinEffectExecution` and :class:`MixinWorkflowExecution`. Stateless and
    cooperative: it has no ``__init__`` of its own, so it composes at any position of a
    class's bases.
    """

    async def execute_handlers(
        self,
        envelope: ModelEventEnvelope[Any],
        handlers: list[ProtocolMessageHandler],
    ) -> list[ModelHandlerOutput]:
        """Await each handler on ``envelope`` in order; returns their outputs in that order.

        Raises ``ModelOnexError(HANDLER_EXECUTION_ERROR)`` naming this class, the handler and
        the envelope when a handler raises (the original exception is the ``__cause__``) or
        returns something other than a ``ModelHandlerOutput``. Cancellation is never wrapped.
        """
        from omnibase_core.models.dispatch.model_handler_output import ModelHandlerOutput

        owner = type(self).__name__
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
                    f"{owner}: handler {handler.handler_id!r} returned {type(output).__name__} "
                    f"for envelope {envelope.envelope_id}; handle() must return a "
                    "ModelHandlerOutput",
                    EnumCoreErrorCode.HANDLER_EXECUTION_ERROR,
                    _context(handler.handler_id, envelope),
                )
            outputs.append(output)
        return outputs


def _context(handler_id: str, envelope: ModelEventEnvelope[Any], **extra: str) -> dict[str, str]:
    # Built only on failure: the success path allocates nothing but the outputs list.
    return {"handler_id": handler_id, "envelope_id": str(envelope.envelope_id), **extra}
