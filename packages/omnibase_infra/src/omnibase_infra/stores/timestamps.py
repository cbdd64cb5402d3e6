"""Timestamp checks, and the integer form the SQLite store keeps timestamps in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from omnibase_core.enums import EnumCoreErrorCode
from omnibase_core.models.errors import ModelOnexError

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def require_aware(value: datetime, where: str) -> datetime:
    """Return ``value`` if it carries a UTC offset; raises ``ModelOnexError(VALIDATION_ERROR)``
    naming ``where`` for a naive datetime, whose instant would be ambiguous."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ModelOnexError(
            f"{where}: datetime {value.isoformat()} has no UTC offset; pass a tz-aware value "
            "(e.g. datetime.now(UTC))",
            EnumCoreErrorCode.VALIDATION_ERROR,
            {"value": value.isoformat()},
        )
    return value


def to_db_micros(value: datetime) -> int:
    """``value`` as integer microseconds since 1970-01-01 UTC: exact, compact, and integer order
    is time order. ``value`` must be tz-aware (the callers check with :func:`require_aware`)."""
    return (value - _EPOCH) // _MICROSECOND


def from_db_micros(micros: int) -> datetime:
    """The tz-aware UTC datetime stored by :func:`to_db_micros` (exact to the microsecond)."""
    return _EPOCH + timedelta(microseconds=micros)
