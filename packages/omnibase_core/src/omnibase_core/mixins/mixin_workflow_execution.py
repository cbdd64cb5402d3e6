"""Running an orchestrator's handlers for one message."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from omnibase_core.mixins._handler_invocation import run_handlers_in_order

if TYPE_CHECKING:
    from omnibase_core.models.dispatch.model_handler_output import ModelHandlerOutput
    from omnibase_core.models.events.model_event_envelope import ModelEventEnvelope
    from omnibase_core.protocols.protocol_message_handler import ProtocolMessageHandler


class MixinWorkflowExecution:
    """Executes the workflow step of an orchestrator: every routed handler, in order.

    Handlers run one after another (the order is the contract's fan-out order) so a later
    handler never overtakes an earlier one. Stateless and cooperative: it has no ``__init__``
    of its own, so it composes at any position of a class's bases.
    """

    async def execute_workflow_step(
        self,
        envelope: ModelEventEnvelope[Any],
        handlers: list[ProtocolMessageHandler],
    ) -> list[ModelHandlerOutput]:
        """Await each handler on ``envelope`` in order; returns their outputs in that order.

        Raises ``ModelOnexError(HANDLER_EXECUTION_ERROR)`` naming the handler and the envelope
        when a handler raises (original as ``__cause__``) or returns a non-output.
        """
        return await run_handlers_in_order(type(self).__name__, envelope, handlers)
