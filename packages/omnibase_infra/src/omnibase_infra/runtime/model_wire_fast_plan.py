"""The one-pass decode of a well-formed wire line, for one payload type of a catalog.

The wire codec's full decode parses a line with ``json``, checks every value against the wire
limits, parses the instants and only then validates the envelope. Most lines are well formed,
so :meth:`ModelWireFastPlan.decode` first tries one ``model_validate_json`` of the line's bytes
into the typed envelope class, then checks on the result (and on the few bytes pydantic reads
more leniently than the wire allows) that the full decode would give exactly this envelope. On
any doubt it returns ``None`` and the codec takes the full decode, which alone makes dead
letters. A doubt that is not a problem only costs time; nothing the full decode refuses passes.

Why each rule of the full decode holds for an envelope :meth:`~ModelWireFastPlan.decode` returns:

- the line has no backslash, so no string or key holds a ``\\u`` escape (no NUL, no lone
  surrogate) and every ``"`` delimits a string: a key written once in the bytes is found by
  plain search;
- the line is valid UTF-8 (checked here; pydantic would refuse it anyway) and valid JSON (the
  parser pydantic uses refuses what ``json`` refuses and reads duplicate keys as it does, the
  last one winning);
- every envelope field the full decode would fill in (``envelope_id``, ``envelope_timestamp``,
  ``correlation_id``, ``category``) was given, ``payload_type`` is exactly this plan's payload
  type and ``topic`` is not blank; unknown fields are refused by the models (``extra="forbid"``);
- each instant is written once, as a string of the one wire form (upper-case ``T`` and ``Z``),
  in a year whose UTC form surely lies in 1..9999; it is parsed by ``datetime.fromisoformat``
  exactly as :func:`~omnibase_infra.wire.parse_wire_instant` does in the full decode, and
  replaces pydantic's reading of it (so it is the very same value, with the standard
  ``timezone``);
- every number is within the limits: integers are checked in their range, a ``float`` field is
  finite and below ``2**63`` in magnitude (so no integer literal beyond 64 bits turned into it),
  and every open value (``dict[str, object]``) is walked for its numbers (its integers kept
  as written, so one beyond 64 bits shows, and its floats finite).

Only payload models this reasoning covers get a plan (see :meth:`ModelWireFastPlan.for_payload`):
fields of the kinds listed in ``_PLAIN``, ``_NUMBERS``, ``_OPEN`` and instants, no
aliases, no validators, ``extra="forbid"``. Other payload types always take the full decode.
"""

from __future__ import annotations

import math
from datetime import datetime
from enum import Enum
from typing import Any, Final
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ValidationError

from omnibase_core.models.events import ModelEventEnvelope

#: Annotations of a payload field holding an instant (checked in its one wire form).
INSTANT_ANNOTATIONS: Final = (AwareDatetime, datetime, AwareDatetime | None, datetime | None)
#: Annotations whose values cannot break a wire limit once validated from an escape-free line.
_PLAIN: Final = (UUID, str, dict[str, str], UUID | None, str | None, dict[str, str] | None)
_NUMBERS: Final = (int, float, int | None, float | None)
_OPEN: Final = (dict[str, object], dict[str, Any], dict[str, object] | None, dict[str, Any] | None)
#: Envelope fields the full decode fills in when absent (or gets from elsewhere): a line
#: without one of them takes the full decode.
_GIVEN_FIELDS: Final = frozenset(
    {"envelope_id", "envelope_timestamp", "correlation_id", "topic", "payload_type", "category"}
)
#: Every number field lies strictly between minus and plus this: an integer then fits in 64
#: bits, and a float is finite and cannot come from an integer literal beyond 64 bits (which
#: the full decode refuses). Only ``-2**63`` itself is sent to the full decode for nothing.
_NUMBER_BOUND: Final = float(2**63)


def _open_value_fits(value: object) -> bool:
    """Whether every number in the open (``dict[str, object]``) value validated from an
    escape-free line is within the wire limits: integers in 64 bits (``-2**63`` itself is
    sent to the full decode for nothing), floats finite. Its strings and keys need no look:
    without escapes they hold no NUL and no lone surrogate."""
    stack: list[Any] = [value]
    pop, extend = stack.pop, stack.extend
    while stack:
        item = pop()
        kind = type(item)
        if kind is dict:
            extend(item.values())
        elif kind is list:
            extend(item)
        elif kind is int:
            if not -_NUMBER_BOUND < item < _NUMBER_BOUND:
                return False
        elif kind is float:
            if not _isfinite(item):
                return False
        elif item is not None and kind is not str and kind is not bool:
            return False  # not a JSON value: never from a line
    return True


def _kind_of(annotation: object) -> str:
    """How a field of ``annotation`` is checked: ``"plain"`` (not at all), ``"number"`` or
    ``"open"`` (walked); raises ``LookupError`` for an annotation the plan does not cover."""
    if annotation in _PLAIN or _is_text_enum(annotation):
        return "plain"
    if annotation in _NUMBERS:
        return "number"
    if annotation in _OPEN:
        return "open"
    raise LookupError(annotation)


def _is_text_enum(annotation: object) -> bool:
    return (
        isinstance(annotation, type)
        and issubclass(annotation, Enum)
        and all(type(member.value) is str for member in annotation)
    )


def _has_validators(model: type[BaseModel]) -> bool:
    decorators = model.__pydantic_decorators__
    return bool(
        decorators.validators
        or decorators.field_validators
        or decorators.root_validators
        or decorators.model_validators
    )


class _InstantKey:
    """A payload or envelope field holding an instant, with its key as quoted JSON bytes and
    whether every valid payload gives it (required and never null)."""

    __slots__ = ("always", "key", "name")

    def __init__(self, name: str, *, always: bool) -> None:
        self.name = name
        self.key = f'"{name}"'.encode()
        self.always = always


#: The strict wire instant form with every digit written ``0``: upper-case ``T`` and ``Z``
#: only (a lower-case one takes the full decode).
_INSTANT_SHAPES: Final = frozenset(
    b"0000-00-00T00:00:00" + fraction + zone
    for fraction in (b"", *(b"." + b"0" * digits for digits in range(1, 7)))
    for zone in (b"Z", b"+00:00", b"-00:00")
)
_DIGITS_AS_ZERO: Final = bytes.maketrans(b"123456789", b"000000000")
_JSON_SPACE: Final = b" \t\n\r"
_fromisoformat: Final = datetime.fromisoformat
_isfinite: Final = math.isfinite


def string_after(data: bytes, start: int) -> bytes | None:
    """The string value (its raw bytes) that follows the key ending at ``start`` in the
    escape-free line ``data``, or ``None`` when the value is not a string."""
    if data.startswith(b':"', start):  # the compact layout
        opening = start + 1
    else:
        opening = data.find(b'"', start)
        if opening < 0 or data[start:opening].strip(_JSON_SPACE) != b":":
            return None
    closing = data.find(b'"', opening + 1)
    return None if closing < 0 else data[opening + 1 : closing]


def _wire_instant_at(data: bytes, key: bytes) -> datetime | None:
    """The instant written after ``key`` (a quoted JSON key) in the escape-free line ``data``, or
    ``None`` unless the key occurs exactly once, followed by a string of the strict wire form
    naming a real date and time whose year, as written, lies in 2..9998 (so its UTC form lies
    in 1..9999). The value is what :func:`~omnibase_infra.wire.parse_wire_instant` gives: the
    same ``datetime.fromisoformat`` of the same text."""
    start = data.find(key)
    if start < 0:
        return None
    end = start + len(key)
    if data.find(key, end) >= 0:
        return None
    text = string_after(data, end)
    if text is None or text.translate(_DIGITS_AS_ZERO) not in _INSTANT_SHAPES:
        return None
    if text[-1] != 0x5A and text[-2] > 0x35:  # an offset's minutes must be 00..59
        return None
    try:
        moment = _fromisoformat(text.decode("ascii"))
    except ValueError:
        return None  # no real date and time (or an offset of a day or more)
    return moment if 1 < moment.year < 9999 else None


_ENVELOPE_TIMESTAMP_KEY: Final = b'"envelope_timestamp"'


class ModelWireFastPlan:
    """How one payload type's well-formed lines are decoded in one pass (see the module)."""

    __slots__ = ("_envelope_class", "_instants", "_numbers", "_open", "_payload_type")

    def __init__(
        self,
        envelope_class: type[ModelEventEnvelope[Any]],
        payload_type: str,
        instants: tuple[_InstantKey, ...],
        numbers: tuple[str, ...],
        open_fields: tuple[str, ...],
    ) -> None:
        """A plan validating into ``envelope_class``: the payload's instant fields, and the
        names of its number and open fields (see :func:`_kind_of`). Use :meth:`for_payload`,
        which derives them from the model."""
        self._envelope_class = envelope_class
        self._payload_type = payload_type
        self._instants = instants
        self._numbers = numbers
        self._open = open_fields

    @classmethod
    def for_payload(
        cls, model: type[BaseModel], envelope_class: type[ModelEventEnvelope[Any]]
    ) -> ModelWireFastPlan | None:
        """The plan for payload ``model`` validated by ``envelope_class``, or ``None`` when the
        model has something the plan's reasoning does not cover (then its lines always take the
        full decode). Raises nothing."""
        if model.model_config.get("extra") != "forbid" or _has_validators(model):
            return None
        instants: list[_InstantKey] = []
        kinds: dict[str, list[str]] = {"plain": [], "number": [], "open": []}
        for name, info in model.model_fields.items():
            if info.alias is not None or info.validation_alias is not None:
                return None
            if info.annotation in INSTANT_ANNOTATIONS:
                always = info.is_required() and info.annotation in INSTANT_ANNOTATIONS[:2]
                instants.append(_InstantKey(name, always=always))
                continue
            try:
                kinds[_kind_of(info.annotation)].append(name)
            except LookupError:
                return None
        return cls(
            envelope_class,
            model.__name__,
            tuple(instants),
            tuple(kinds["number"]),
            tuple(kinds["open"]),
        )

    def decode(self, data: bytes) -> ModelEventEnvelope[Any] | None:
        """The envelope the full decode makes of ``data`` (one line's bytes, valid UTF-8, no
        backslash, its ``payload_type`` read as this plan's), or ``None`` when that is not
        certain. Raises nothing for bad input."""
        timestamp = _wire_instant_at(data, _ENVELOPE_TIMESTAMP_KEY)
        if timestamp is None:
            return None
        try:
            envelope = self._envelope_class.model_validate_json(data)
        except ValidationError:
            return None
        if (
            envelope.payload_type != self._payload_type
            or not envelope.model_fields_set >= _GIVEN_FIELDS
            or not envelope.topic.strip()
        ):
            return None
        payload = envelope.payload
        values = payload.__dict__
        for name in self._numbers:
            value = values[name]
            # NaN fails both comparisons
            if value is not None and not -_NUMBER_BOUND < value < _NUMBER_BOUND:
                return None
        for name in self._open:
            if not _open_value_fits(values[name]):
                return None
        instants = self._payload_instants(data, payload)
        if instants is None:
            return None
        # Both models were made just now and are not shared yet: their instants become the
        # values the full decode passes to pydantic (same instant; standard ``timezone``).
        envelope.__dict__["envelope_timestamp"] = timestamp
        payload.__dict__.update(instants)
        return envelope

    def _payload_instants(self, data: bytes, payload: BaseModel) -> dict[str, datetime] | None:
        """The payload's given, non-null instants read from ``data``, or ``None`` when one is
        not written once in the wire form."""
        found: dict[str, datetime] = {}
        for instant in self._instants:
            name = instant.name
            if not instant.always and (
                name not in payload.model_fields_set or getattr(payload, name) is None
            ):
                continue  # the full decode leaves an absent or null instant to the model too
            moment = _wire_instant_at(data, instant.key)
            if moment is None:
                return None
            found[name] = moment
        return found
