"""The orchestrator name for running a message's handlers."""

from __future__ import annotations

from omnibase_core.mixins.mixin_handler_execution import MixinHandlerExecution


class MixinWorkflowExecution(MixinHandlerExecution):
    """:class:`MixinHandlerExecution` under the orchestrator's name: ``execute_workflow_step``
    runs the workflow step of an orchestrator, every routed handler in order, stopping at the
    first failure. Stateless and cooperative."""

    #: :meth:`MixinHandlerExecution.execute_handlers`, by the name orchestrators use.
    execute_workflow_step = MixinHandlerExecution.execute_handlers
