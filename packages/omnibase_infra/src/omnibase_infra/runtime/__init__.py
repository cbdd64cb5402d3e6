"""The node engine and what surrounds it: the line reader, the wire codec, the protocol a node
implements to run on the engine. Nothing here knows any particular node."""

from omnibase_infra.runtime.model_batch_keys import ModelBatchKeys
from omnibase_infra.runtime.model_message_refused_error import ModelMessageRefusedError
from omnibase_infra.runtime.model_payload_catalog import ModelPayloadCatalog
from omnibase_infra.runtime.model_run_summary import ModelRunSummary
from omnibase_infra.runtime.protocol_bus_runner_observer import ProtocolBusRunnerObserver
from omnibase_infra.runtime.protocol_engine_node import ProtocolEngineNode
from omnibase_infra.runtime.protocol_ticking_node import ProtocolTickingNode
from omnibase_infra.runtime.service_batch_applier import RuntimeInput
from omnibase_infra.runtime.service_bus_node_runner import ServiceBusNodeRunner
from omnibase_infra.runtime.service_node_engine import DEFAULT_BATCH_SIZE, ServiceNodeEngine
from omnibase_infra.runtime.service_outbox_relay import ServiceOutboxRelay
from omnibase_infra.runtime.transaction_handlers import (
    ProtocolTransactionHandler,
    freeze_transaction_handlers,
    run_transaction_handlers,
)
from omnibase_infra.runtime.wire_codec import decode_line, decode_object, encode_envelope
from omnibase_infra.runtime.wire_lines import is_blank_line, iter_wire_lines

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "ModelBatchKeys",
    "ModelMessageRefusedError",
    "ModelPayloadCatalog",
    "ModelRunSummary",
    "ProtocolBusRunnerObserver",
    "ProtocolEngineNode",
    "ProtocolTickingNode",
    "ProtocolTransactionHandler",
    "RuntimeInput",
    "ServiceBusNodeRunner",
    "ServiceNodeEngine",
    "ServiceOutboxRelay",
    "decode_line",
    "decode_object",
    "encode_envelope",
    "freeze_transaction_handlers",
    "is_blank_line",
    "iter_wire_lines",
    "run_transaction_handlers",
]
