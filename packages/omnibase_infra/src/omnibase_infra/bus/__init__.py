"""The event bus in infra: subjects and partition streams on NATS JetStream, ``EventBusNats``
(with the ``omnibase-infra[nats]`` extra) and the producer helper.

``EventBusNats`` and the modules that talk to a server import ``nats-py``; they are loaded on
first use, so this package imports without the extra.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from omnibase_infra.bus.model_bus_producer_report import ModelBusProducerReport
from omnibase_infra.bus.model_nats_bus_options import ModelNatsBusOptions
from omnibase_infra.bus.model_nats_setup_step import ModelNatsSetupStep
from omnibase_infra.bus.model_nats_stored_message import ModelNatsStoredMessage
from omnibase_infra.bus.nats_subjects import (
    node_key,
    partition_stream_name,
    subject_for,
)
from omnibase_infra.bus.service_bus_producer import ServiceBusProducer

if TYPE_CHECKING:
    from omnibase_infra.bus.event_bus_nats import EventBusNats
    from omnibase_infra.bus.service_nats_stream_reader import ServiceNatsStreamReader

__all__ = [
    "EventBusNats",
    "ModelBusProducerReport",
    "ModelNatsBusOptions",
    "ModelNatsSetupStep",
    "ModelNatsStoredMessage",
    "ServiceBusProducer",
    "ServiceNatsStreamReader",
    "node_key",
    "partition_stream_name",
    "subject_for",
]


def __getattr__(name: str) -> Any:
    if name in {"EventBusNats", "ServiceNatsStreamReader"}:
        try:
            from omnibase_infra.bus.event_bus_nats import EventBusNats
            from omnibase_infra.bus.service_nats_stream_reader import ServiceNatsStreamReader
        except ModuleNotFoundError as exc:
            if exc.name is None or not exc.name.startswith("nats"):
                raise
            from omnibase_core.enums import EnumCoreErrorCode
            from omnibase_core.models.errors import ModelOnexError

            raise ModelOnexError(
                f"{name} needs the NATS client: pip install 'omnibase-infra[nats]'",
                EnumCoreErrorCode.CONFIGURATION_ERROR,
            ) from None
        return EventBusNats if name == "EventBusNats" else ServiceNatsStreamReader
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
