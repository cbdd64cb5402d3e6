"""Text that is safe to put on a terminal: one line, printable characters only.

Values shown on the command line come from input files and stores (node names, versions,
dead-letter details, file names). Written as they are, a newline would forge a table row and
an ESC byte would drive the terminal; these functions make every such character visible.
"""

from __future__ import annotations


def printable(text: str) -> str:
    """``text`` with every character a terminal would not simply print written as an escape.

    Control characters (C0 including newline, carriage return, tab and ESC; DEL; C1), format
    characters (bidirectional overrides and isolates, zero-width characters, the byte-order
    mark), line and paragraph separators, surrogates, private-use, unassigned code points and
    every space but the ASCII one become ``\\n``, ``\\r``, ``\\t``, ``\\xNN``,
    ``\\uNNNN`` or ``\\UNNNNNNNN``, and a backslash becomes two, exactly as in a Python
    string literal: the result is one line of printable characters, and different texts stay
    different. Raises nothing.
    """
    if text.isprintable() and "\\" not in text:
        return text
    return "".join(_ESCAPES.get(char) or _escape(char) for char in text)


def _escape(char: str) -> str:
    if char.isprintable():
        return char
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def one_line(text: str) -> str:
    """``text`` as one line for an error message: runs of whitespace (newlines included)
    become one space, other characters a terminal would not print are escaped as in
    :func:`printable`, backslashes are kept as they are; ``(no detail)`` when nothing is left.
    Raises nothing.
    """
    text = " ".join(text.split())
    if not text.isprintable():
        text = "".join(_escape(char) for char in text)
    return text or "(no detail)"
