"""Checks every bus applies to its callers' input, so each bad value gets one precise error.

Each function raises ``ModelOnexError(INVALID_PARAMETER)`` naming the field, the value and
what to do; nothing here touches a broker.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from omnibase_core.enums.enum_core_error_code import EnumCoreErrorCode
from omnibase_core.models.errors.model_onex_error import ModelOnexError

#: Longest partition key and idempotency id accepted.
MAX_KEY_LENGTH = 255
MAX_IDEMPOTENCY_ID_LENGTH = 255
#: Header names the bus sets itself (``Nats-Msg-Id``, ...): callers may not set them.
RESERVED_HEADER_PREFIX = "nats-"

_PRINTABLE_TOKEN = re.compile(r"^[\x21-\x7e]+$")
_HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")
_HEADER_VALUE = re.compile(r"^[\x20-\x7e]*$")


def invalid(message: str, **context: object) -> ModelOnexError:
    """An ``INVALID_PARAMETER`` error with ``context``."""
    return ModelOnexError(message, EnumCoreErrorCode.INVALID_PARAMETER, context)


def check_key(key: object) -> str:
    """A partition key: a non-empty string of printable ASCII without spaces, at most 255."""
    if not isinstance(key, str) or not key:
        raise invalid(f"partition key must be a non-empty string, got {key!r}", key=key)
    if len(key) > MAX_KEY_LENGTH or not _PRINTABLE_TOKEN.match(key):
        raise invalid(
            f"partition key {key[:80]!r} must be 1..{MAX_KEY_LENGTH} printable ASCII characters "
            "without spaces (use the node id)",
            key=key,
        )
    return key


def check_idempotency_id(idempotency_id: object) -> str:
    """An idempotency id: a non-empty printable ASCII string without spaces, at most 255."""
    if (
        not isinstance(idempotency_id, str)
        or not idempotency_id
        or len(idempotency_id) > MAX_IDEMPOTENCY_ID_LENGTH
        or not _PRINTABLE_TOKEN.match(idempotency_id)
    ):
        raise invalid(
            f"idempotency id {idempotency_id!r} must be 1..{MAX_IDEMPOTENCY_ID_LENGTH} "
            "printable ASCII characters without spaces (use the envelope or event id)",
            idempotency_id=idempotency_id,
        )
    return idempotency_id


def check_headers(headers: Mapping[str, str] | None) -> dict[str, str]:
    """Caller headers: token names not starting with ``Nats-``, printable ASCII values."""
    if not headers:
        return {}
    checked: dict[str, str] = {}
    for name, value in headers.items():
        if not isinstance(name, str) or not _HEADER_NAME.match(name):
            raise invalid(
                f"header name {name!r} is not a token (letters, digits, -_.)", header=name
            )
        if name.lower().startswith(RESERVED_HEADER_PREFIX):
            raise invalid(
                f"header {name!r} is reserved for the bus (names starting with 'Nats-'); "
                "pass the idempotency id as idempotency_id",
                header=name,
            )
        if not isinstance(value, str) or not _HEADER_VALUE.match(value):
            raise invalid(
                f"header {name!r} value {value!r} must be printable ASCII on one line",
                header=name,
            )
        checked[name] = value
    return checked


def check_value(value: object) -> bytes:
    """A message body: ``bytes``."""
    if not isinstance(value, bytes | bytearray | memoryview):
        raise invalid(f"message value must be bytes, got {type(value).__name__}")
    return bytes(value)


def check_max_messages(max_messages: object, max_batch: int) -> int:
    """A fetch size within ``1..max_batch``."""
    if isinstance(max_messages, bool) or not isinstance(max_messages, int):
        raise invalid(f"max_messages must be an integer, got {max_messages!r}")
    if not 1 <= max_messages <= max_batch:
        raise invalid(
            f"max_messages {max_messages} is not within 1..{max_batch} (the stream's max_batch, "
            "which is also the most unacknowledged messages a partition may have)",
            max_messages=max_messages,
            max_batch=max_batch,
        )
    return max_messages


def check_timeout(timeout_seconds: object) -> float:
    """A wait in seconds: finite and not negative."""
    if isinstance(timeout_seconds, bool) or not isinstance(timeout_seconds, int | float):
        raise invalid(f"timeout_seconds must be a number, got {timeout_seconds!r}")
    if not math.isfinite(timeout_seconds) or timeout_seconds < 0:
        raise invalid(f"timeout_seconds must be finite and >= 0, got {timeout_seconds!r}")
    return float(timeout_seconds)
