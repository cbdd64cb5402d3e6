"""Models of the event bus: settings, partitions, messages, publish results and errors."""

from omnibase_core.models.bus.model_bus_message import ModelBusMessage
from omnibase_core.models.bus.model_bus_outbound_message import ModelBusOutboundMessage
from omnibase_core.models.bus.model_bus_partition import ModelBusPartition
from omnibase_core.models.bus.model_bus_publish_result import ModelBusPublishResult
from omnibase_core.models.bus.model_bus_stream_settings import ModelBusStreamSettings
from omnibase_core.models.bus.model_bus_unavailable_error import ModelBusUnavailableError
from omnibase_core.models.bus.model_event_bus_settings import ModelEventBusSettings

__all__ = [
    "ModelBusMessage",
    "ModelBusOutboundMessage",
    "ModelBusPartition",
    "ModelBusPublishResult",
    "ModelBusStreamSettings",
    "ModelBusUnavailableError",
    "ModelEventBusSettings",
]
