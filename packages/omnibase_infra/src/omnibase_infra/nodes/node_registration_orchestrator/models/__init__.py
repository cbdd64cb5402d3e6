"""Payloads, settings and intents of the registration orchestrator."""

from omnibase_infra.nodes.node_registration_orchestrator.models.model_intent_advance_tick_clock import (  # noqa: E501
    ModelIntentAdvanceTickClock,
)
from omnibase_infra.nodes.node_registration_orchestrator.models.model_intent_record_introspection_request import (  # noqa: E501
    ModelIntentRecordIntrospectionRequest,
)
from omnibase_infra.nodes.node_registration_orchestrator.models.model_intent_upsert_node import (
    ModelIntentUpsertNode,
)
from omnibase_infra.nodes.node_registration_orchestrator.models.model_node_heartbeat_event import (
    ModelNodeHeartbeatEvent,
)
from omnibase_infra.nodes.node_registration_orchestrator.models.model_node_introspection_event import (  # noqa: E501
    ModelNodeIntrospectionEvent,
)
from omnibase_infra.nodes.node_registration_orchestrator.models.model_registration_contract import (
    ModelRegistrationContract,
)
from omnibase_infra.nodes.node_registration_orchestrator.models.model_registration_lifecycle import (  # noqa: E501
    ModelRegistrationLifecycle,
)
from omnibase_infra.nodes.node_registration_orchestrator.models.model_registration_settings import (
    ModelRegistrationSettings,
)
from omnibase_infra.nodes.node_registration_orchestrator.models.model_runtime_tick import (
    ModelRuntimeTick,
)

ModelRegistrationIntent = (
    ModelIntentUpsertNode | ModelIntentRecordIntrospectionRequest | ModelIntentAdvanceTickClock
)

__all__ = [
    "ModelIntentAdvanceTickClock",
    "ModelIntentRecordIntrospectionRequest",
    "ModelIntentUpsertNode",
    "ModelNodeHeartbeatEvent",
    "ModelNodeIntrospectionEvent",
    "ModelRegistrationContract",
    "ModelRegistrationIntent",
    "ModelRegistrationLifecycle",
    "ModelRegistrationSettings",
    "ModelRuntimeTick",
]
