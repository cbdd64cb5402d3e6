"""Wire instants: ISO 8601 with an explicit offset, in the range every store can hold.

The only accepted form is ``YYYY-MM-DDTHH:MM:SS[.ffffff](Z|+HH:MM|-HH:MM)``: four-digit year,
seconds always present, at most six fractional digits (microseconds, the precision every store
keeps exactly), ``T`` and ``Z`` in either case, and an offset that is ``Z`` or ``±HH:MM``.
Numbers (seconds or milliseconds since 1970 would be ambiguous), naive times, dates alone,
week dates and every other form are refused. Both the instant as written (its local form) and
its UTC form must lie in the years 1 to 9999: ``0001-01-01T00:30:00+01:00`` is refused, since
its UTC form falls in year 0.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Final

#: The accepted form, for messages.
INSTANT_FORM: Final = "YYYY-MM-DDTHH:MM:SS[.ffffff](Z|+HH:MM|-HH:MM)"
_INSTANT: Final = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:[Zz]|[+-](?:[01]\d|2[0-3]):[0-5]\d)",
    re.ASCII,
)


def instant_violation(moment: datetime) -> str | None:
    """Why ``moment`` cannot be stored, or ``None``: it must carry a UTC offset and its UTC
    form must lie in the years 1 to 9999 (its local form always does: ``datetime``)."""
    offset = moment.utcoffset()
    if offset is None:
        return f"{moment.isoformat()} has no UTC offset"
    if 1 < moment.year < 9999:  # an offset is less than a day: the UTC form is a year 1..9999
        return None
    try:
        moment.astimezone(UTC)
    except OverflowError:
        return (
            f"{moment.isoformat()} lies outside the years 1 to 9999 in UTC; every instant must "
            "lie in 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59.999999Z"
        )
    return None


def parse_wire_instant(text: object) -> datetime:
    """The instant written ``text`` on the wire.

    Raises ``ValueError`` with a one-line reason when ``text`` is not a string of the accepted
    form (see the module), names no real date and time, or lies outside the storable range.
    """
    if not isinstance(text, str):
        kind = "a number" if isinstance(text, int | float) else type(text).__name__
        raise ValueError(
            f"{text!r} is {kind}, not an instant; write it as {INSTANT_FORM} (ISO 8601 with an "
            "explicit offset)"
        )
    if _INSTANT.fullmatch(text) is None:
        raise ValueError(
            f"{text[:64]!r} is not an instant of the form {INSTANT_FORM} (ISO 8601 with seconds, "
            "at most six fractional digits and an explicit offset such as Z or +02:00)"
        )
    try:
        # the form is checked: the standard parser reads it exactly (upper case for t and z)
        moment = datetime.fromisoformat(text if text.isupper() else text.upper())
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a real date and time ({exc})") from None
    problem = instant_violation(moment)
    if problem is not None:
        raise ValueError(problem)
    return moment
