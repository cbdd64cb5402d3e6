"""The registration runtime: the line reader, the wire codec and the service that applies
envelopes."""

from omnibase_infra.runtime.model_run_summary import ModelRunSummary
from omnibase_infra.runtime.service_registration_runtime import (
    DEFAULT_BATCH_SIZE,
    RuntimeInput,
    ServiceRegistrationRuntime,
)
from omnibase_infra.runtime.wire_codec import decode_line, decode_object, encode_envelope
from omnibase_infra.runtime.wire_lines import is_blank_line, iter_wire_lines

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "ModelRunSummary",
    "RuntimeInput",
    "ServiceRegistrationRuntime",
    "decode_line",
    "decode_object",
    "encode_envelope",
    "is_blank_line",
    "iter_wire_lines",
]
