"""Timestamp checks and the text form the SQL stores keep timestamps in."""

from __future__ import annotations

from datetime import UTC, datetime

from omnibase_core.enums import EnumCoreErrorCode
from omnibase_core.models.errors import ModelOnexError


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


def to_db_text(value: datetime) -> str:
    """``value`` as fixed-width ISO-8601 UTC text with microseconds, so text order is time order.

    ``value`` must be tz-aware (the callers check with :func:`require_aware`).
    """
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def from_db_text(text: str) -> datetime:
    """The tz-aware UTC datetime stored by :func:`to_db_text` (exact to the microsecond)."""
    return datetime.fromisoformat(text)
