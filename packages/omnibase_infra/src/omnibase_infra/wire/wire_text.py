"""Text every store can hold: escaping raw input lines and free-form detail text.

A dead letter keeps the raw line it was made of, so nothing is lost. Most lines are valid UTF-8
without NUL and are kept as they are. A line that is not valid UTF-8, or that contains a NUL
character (PostgreSQL ``text`` cannot hold U+0000), is kept *escaped*: every backslash is
written ``\\\\``, every NUL and every byte that is not part of valid UTF-8 is written ``\\xNN``
(two lower-case hex digits), everything else is the line's own text. :func:`unescape_raw`
gives back the exact bytes, and no replacement character is ever stored.
"""

from __future__ import annotations

import re
from typing import Final

#: Characters no store can hold in a text column: NUL and the UTF-16 surrogates.
UNSTORABLE_CHARACTERS: Final = re.compile("[\x00\ud800-\udfff]")
_ESCAPE: Final = re.compile(r"\\(?:(\\)|x([0-9a-f]{2})|)")


def raw_needs_escaping(line: bytes) -> bool:
    """Whether ``line`` must be kept escaped: not valid UTF-8, or holding a NUL byte."""
    if b"\x00" in line:
        return True
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def escape_raw(line: bytes) -> str:
    """``line`` as storable text: ``\\\\`` for a backslash, ``\\xNN`` for a NUL byte or a byte
    that is not part of valid UTF-8, the line's own characters otherwise. Never raises."""
    # 0x5c and 0x00 never occur inside a multi-byte UTF-8 sequence, so escaping them on the
    # bytes first cannot split a character.
    prepared = line.replace(b"\\", b"\\\\").replace(b"\x00", b"\\x00")
    return prepared.decode("utf-8", "backslashreplace")


def unescape_raw(text: str) -> bytes:
    """The exact bytes that :func:`escape_raw` turned into ``text``.

    Raises ``ValueError`` when ``text`` holds a backslash that is not followed by another
    backslash or by ``x`` and two lower-case hex digits (it was not made by :func:`escape_raw`).
    """
    out = bytearray()
    position = 0
    for match in _ESCAPE.finditer(text):
        backslash, hex_digits = match.groups()
        if backslash is None and hex_digits is None:
            raise ValueError(
                f"not an escaped raw line: stray backslash at character {match.start()}"
            )
        out += text[position : match.start()].encode("utf-8")
        out += b"\\" if backslash is not None else bytes((int(hex_digits, 16),))
        position = match.end()
    out += text[position:].encode("utf-8")
    return bytes(out)


def storable_text(text: str) -> str:
    """``text`` with every NUL written ``\\x00`` and every lone surrogate ``\\udXXX``, so any
    store can hold it (for details, sources and other free-form text). Never raises."""
    if UNSTORABLE_CHARACTERS.search(text) is None:
        return text
    return UNSTORABLE_CHARACTERS.sub(_escape_character, text)


def printable(text: str, limit: int = 80) -> str:
    """``text`` as a short quoted literal for messages (``repr``: control characters, NUL and
    lone surrogates escaped), cut to ``limit`` characters with ``...`` when longer."""
    return repr(text[:limit]) + ("..." if len(text) > limit else "")


def _escape_character(match: re.Match[str]) -> str:
    code = ord(match.group())
    return "\\x00" if code == 0 else f"\\u{code:04x}"
