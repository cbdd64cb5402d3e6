"""Running an effect node's handlers for one message."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from omnibase_core.mixins._handler_invocation import run_handlers_in_order

if TYPE_CHECKING:
    from omnibase_core.models.dispatch.model_handler_output import ModelHandlerOutput
    from omnibase_core.models.events.model_event_envelope import ModelEventEnvelope
    from omnibase_core.protocols.protocol_message_handler import ProtocolMessageHandler


class MixinEffectExecution:
    """Executes the side effects an effect node's handlers perform for one message.

    Effects run strictly one after another in fan-out order and stop at the first failure, so
    a failed effect is never followed by a later one for the same message. Stateless and
    cooperative: it has no ``__init__`` of its own.
    """

    async def execute_effect(
        self,
        envelope: ModelEventEnvelope[Any],
        handlers: list[ProtocolMessageHandler],
    ) -> list[ModelHandlerOutput]:
        """Await each handler on ``envelope`` in order; returns their outputs in that order.

        Raises ``ModelOnexError(HANDLER_EXECUTION_ERROR)`` naming the handler and the envelope
        when a handler raises (original as ``__cause__``) or returns a non-output.
        """
        return await run_handlers_in_order(type(self).__name__, envelope, handlers)
