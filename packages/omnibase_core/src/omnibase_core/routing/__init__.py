"""Compiled routing: the lookup tables and topic matcher behind ``MixinHandlerRouting``."""

from omnibase_core.routing.model_compiled_routing_table import ModelCompiledRoutingTable
from omnibase_core.routing.model_compiled_topic_matcher import ModelCompiledTopicMatcher
from omnibase_core.routing.model_handler_resolver import ModelHandlerResolver
from omnibase_core.routing.model_routing_problem import ModelRoutingProblem

__all__ = [
    "ModelCompiledRoutingTable",
    "ModelCompiledTopicMatcher",
    "ModelHandlerResolver",
    "ModelRoutingProblem",
]
