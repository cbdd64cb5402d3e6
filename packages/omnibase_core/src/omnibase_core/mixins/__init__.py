"""Mixins composing node behaviour: handler routing and handler execution."""

from omnibase_core.mixins.mixin_effect_execution import MixinEffectExecution
from omnibase_core.mixins.mixin_handler_execution import MixinHandlerExecution
from omnibase_core.mixins.mixin_handler_routing import MixinHandlerRouting
from omnibase_core.mixins.mixin_workflow_execution import MixinWorkflowExecution

__all__ = [
    "MixinEffectExecution",
    "MixinHandlerExecution",
    "MixinHandlerRouting",
    "MixinWorkflowExecution",
]
