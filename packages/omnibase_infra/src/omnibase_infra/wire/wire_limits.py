"""The wire limits: what every value of a message must satisfy so that every store (memory,
SQLite, PostgreSQL) holds it exactly and returns it unchanged.

- integers lie in the signed 64-bit range ``-2**63 .. 2**63 - 1``;
- numbers are finite (no ``NaN``, no infinities, no literal too large for a double);
- strings, and mapping keys, hold no NUL character (U+0000) and no lone surrogate;
- instants carry a UTC offset and lie in the years 1 to 9999 both as written and in UTC
  (their wire form is checked by :mod:`omnibase_infra.wire.wire_instants`).

:func:`find_violation` walks a JSON value (or a Python value of the same shape, with ``UUID``,
``datetime`` and ``Enum`` leaves) and reports the first value breaking a limit, with its path.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from datetime import datetime
from enum import Enum
from typing import Any, Final
from uuid import UUID

from omnibase_infra.wire.wire_instants import instant_violation
from omnibase_infra.wire.wire_text import UNSTORABLE_CHARACTERS, printable

_UNSTORABLE_SEARCH: Final = UNSTORABLE_CHARACTERS.search
_isfinite: Final = math.isfinite

INT64_MIN: Final = -(2**63)
INT64_MAX: Final = 2**63 - 1
_MAX_SHOWN_DIGITS: Final = 24
#: Longest JSON integer literal that can be a 64-bit integer (``-9223372036854775808``).
_LONGEST_INT64_LITERAL: Final = 20
_INTEGER_LITERAL: Final = re.compile(r"-?\d+")


class _NumberLiteral(str):
    """A JSON number beyond the limits, kept as its literal text: an integer outside 64 bits
    (converting thousands of digits would cost time and can exceed Python's conversion limit),
    ``NaN``, ``Infinity`` or a literal beyond the double range."""

    __slots__ = ()


class _Flags:
    """How many numbers beyond the limits the JSON hooks have met (only ever grows)."""

    count = 0


def _flag(literal: str) -> _NumberLiteral:
    _Flags.count += 1
    return _NumberLiteral(literal)


def _parse_int(literal: str) -> int | str:
    if len(literal) <= _LONGEST_INT64_LITERAL:
        value = int(literal)
        if INT64_MIN <= value <= INT64_MAX:
            return value
    return _flag(literal)


def _parse_float(literal: str) -> float | str:
    value = float(literal)
    return value if _isfinite(value) else _flag(literal)


_decode: Final = json.JSONDecoder(
    parse_int=_parse_int, parse_float=_parse_float, parse_constant=_flag
).decode


def load_wire_json(text: str) -> tuple[Any, bool]:
    """Parse one line's JSON ``text`` (decoded from UTF-8); returns the value and whether it
    *may* break a wire limit, in which case :func:`find_violation` must walk it.

    Numbers are checked while parsing: an integer beyond 64 bits and a non-finite number
    (``NaN``, ``Infinity``, a literal beyond the double range) are kept as their literal text,
    which :func:`find_violation` reports with its path. A NUL or a lone surrogate can only enter
    a string or a key of text decoded from UTF-8 through a ``\\u`` escape, so a text without
    one holds none. Raises ``ValueError`` (``json.JSONDecodeError``) and ``RecursionError`` as
    ``json.loads``.
    """
    flagged = _Flags.count
    value = _decode(text)
    return value, _Flags.count != flagged or "\\u" in text


def text_violation(text: str) -> str | None:
    """Why ``text`` cannot be stored (a NUL or a lone surrogate, with its position), or
    ``None``."""
    match = UNSTORABLE_CHARACTERS.search(text)
    if match is None:
        return None
    code = ord(match.group())
    what = "a NUL character (U+0000)" if code == 0 else f"the lone surrogate U+{code:04X}"
    return f"text {printable(text, 40)} contains {what} at position {match.start()}"


def integer_violation(value: int) -> str | None:
    """Why ``value`` cannot be stored (outside the signed 64-bit range), or ``None``."""
    if INT64_MIN <= value <= INT64_MAX:
        return None
    digits = str(value) if value.bit_length() < 200 else f"{'-' if value < 0 else ''}(huge)"
    if len(digits) > _MAX_SHOWN_DIGITS:
        digits = f"{digits[:_MAX_SHOWN_DIGITS]}... ({len(digits)} characters)"
    return f"integer {digits} is outside the signed 64-bit range {INT64_MIN} .. {INT64_MAX}"


def number_violation(value: float) -> str | None:
    """Why ``value`` cannot be stored (not finite), or ``None``."""
    if math.isfinite(value):
        return None
    return (
        f"number {value!r} is not finite; NaN and the infinities (and number literals beyond the "
        "double range, which read as infinite) are not allowed"
    )


def find_violation(value: object, path: str = "") -> str | None:
    """The first value of ``value`` (walked depth first, keys before their values) that breaks
    a wire limit, as ``"path: why"``, or ``None`` when everything is storable.

    ``path`` names ``value`` itself (``""`` for the root); members are added as ``.key`` and
    ``[index]``. Anything that is not a JSON value (nor a ``UUID``, ``datetime`` or ``Enum``) is
    a violation too. Never raises, however deep the value.
    """
    if _plainly_storable(value):
        return None
    return _locate_violation(value, path)


def _plainly_storable(value: object) -> bool:
    """A fast walk without paths: ``True`` when every value is plainly within the limits.

    ``False`` means "look closer": :func:`_locate_violation` decides (and names the path).
    """
    stack = [value]
    pop, push, extend = stack.pop, stack.append, stack.extend
    while stack:
        item = pop()
        if type(item) is str:
            if _UNSTORABLE_SEARCH(item) is not None:
                return False
        elif type(item) is int:
            if not INT64_MIN <= item <= INT64_MAX:
                return False
        elif type(item) is dict:
            for key, member in item.items():
                if type(key) is not str or _UNSTORABLE_SEARCH(key) is not None:
                    return False
                push(member)
        elif type(item) is list or type(item) is tuple:
            extend(item)
        elif type(item) is float:
            if not _isfinite(item):
                return False
        elif item is None or type(item) is bool or type(item) is UUID:
            continue
        elif type(item) is datetime:
            if instant_violation(item) is not None:
                return False
        elif isinstance(item, Enum) and type(item.value) is str:
            if _UNSTORABLE_SEARCH(item.value) is not None:
                return False
        else:
            return False  # anything else (subclasses, enums, other objects): look closer
    return True


def _locate_violation(value: object, path: str) -> str | None:
    """The precise walk of :func:`find_violation`, building each member's path."""
    stack: list[tuple[object, str]] = [(value, path)]
    while stack:
        item, where = stack.pop()
        problem: str | None = None
        if isinstance(item, _NumberLiteral):
            shown = item if len(item) <= _MAX_SHOWN_DIGITS else f"{item[:_MAX_SHOWN_DIGITS]}..."
            if _INTEGER_LITERAL.fullmatch(item):
                problem = (
                    f"integer {shown} ({len(item.lstrip('-'))} digits) is outside the signed "
                    f"64-bit range {INT64_MIN} .. {INT64_MAX}"
                )
            else:
                problem = (
                    f"number {shown} is not finite; NaN and the infinities (and number literals "
                    "beyond the double range) are not allowed"
                )
        elif isinstance(item, str):
            problem = text_violation(item)
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, int):
            problem = integer_violation(item)
        elif isinstance(item, float):
            problem = number_violation(item)
        elif isinstance(item, Mapping):
            children: list[tuple[object, str]] = []
            for key, member in item.items():
                if not isinstance(key, str):
                    problem = f"mapping key {key!r} is a {type(key).__name__}, not a string"
                    break
                key_problem = text_violation(key)
                if key_problem is not None:
                    problem = f"key {key_problem}"
                    break
                children.append((member, _member(where, key)))
            stack.extend(reversed(children))
        elif isinstance(item, list | tuple):
            stack.extend(
                (member, f"{where}[{index}]") for index, member in reversed(list(enumerate(item)))
            )
            continue
        elif isinstance(item, datetime):
            problem = instant_violation(item)
        elif isinstance(item, UUID | Enum):
            continue
        else:
            problem = f"a {type(item).__name__} is not a JSON value"
        if problem is not None:
            return f"{where or '(root)'}: {problem}"
    return None


def _member(path: str, key: str) -> str:
    shown = key if key.isidentifier() else printable(key, 40)
    return f"{path}.{shown}" if path else shown
