"""The one rule for every name a contract gives: stripped, never empty, never invisible.

A key (a routing key, a handler key, a class or module name, an operation, a topic...) is
stripped of whitespace *and* of invisible characters at both ends, and a key with nothing left
is rejected. Invisible means: whitespace (``str.isspace``), Unicode format characters (general
category ``Cf``: zero-width space, joiners, direction marks, the byte order mark...) and the
other default-ignorable code points (variation selectors, Hangul fillers, tag characters...).
A key made only of such characters looks empty on screen, so it is treated as empty.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated, Final

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

#: Default-ignorable code points that are not ``Cf`` (Unicode ``DerivedCoreProperties``),
#: as inclusive ranges.
_IGNORABLE_RANGES: Final = (
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x061C, 0x061C),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x206F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFF8),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)

#: The error type of an empty key (the loader echoes the offending value back).
EMPTY_KEY_ERROR: Final = "empty_key"


def is_invisible(character: str) -> bool:
    """Whether ``character`` shows nothing on screen: whitespace, a format character (``Cf``)
    or another default-ignorable code point."""
    if character.isspace() or unicodedata.category(character) == "Cf":
        return True
    code = ord(character)
    return any(low <= code <= high for low, high in _IGNORABLE_RANGES)


def strip_invisible(text: str) -> str:
    """``text`` without the invisible characters (see :func:`is_invisible`) at either end."""
    start, end = 0, len(text)
    while start < end and is_invisible(text[start]):
        start += 1
    while end > start and is_invisible(text[end - 1]):
        end -= 1
    return text[start:end]


def is_blank(text: str) -> bool:
    """Whether ``text`` is empty or made only of invisible characters."""
    return not strip_invisible(text)


def _check_key(value: str) -> str:
    stripped = strip_invisible(value)
    if not stripped:
        raise PydanticCustomError(
            EMPTY_KEY_ERROR,
            "is empty: it holds no visible character",
            {"hint": "write a visible name (whitespace and invisible characters do not count)"},
        )
    return stripped


#: A contract key: a string, stripped of whitespace and invisible characters at both ends,
#: never empty afterwards. Every name in a contract uses this one type.
ContractKey = Annotated[str, AfterValidator(_check_key)]

__all__ = [
    "EMPTY_KEY_ERROR",
    "ContractKey",
    "is_blank",
    "is_invisible",
    "strip_invisible",
]
