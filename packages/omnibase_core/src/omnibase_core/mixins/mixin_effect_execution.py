"""The effect-node name for running a message's handlers."""

from __future__ import annotations

from omnibase_core.mixins.mixin_handler_execution import MixinHandlerExecution


class MixinEffectExecution(MixinHandlerExecution):
    """:class:`MixinHandlerExecution` under the effect node's name: ``execute_effect`` runs
    the side effects an effect node's handlers perform for one message, one after another,
    stopping at the first failure. Stateless and cooperative."""

    #: :meth:`MixinHandlerExecution.execute_handlers`, by the name effect nodes use.
    execute_effect = MixinHandlerExecution.execute_handlers
