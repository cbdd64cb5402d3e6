"""Plain-text tables for the command line.

Every cell goes through :func:`printable`: a value (a node name, a version, a dead letter's
detail) can never start a new row, move the cursor or send a terminal escape sequence.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from omnibase_infra.cli.cli_text import printable


def render_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    right_aligned: frozenset[int] = frozenset(),
) -> str:
    """Render ``rows`` under ``headers`` as aligned columns separated by two spaces.

    Columns whose index is in ``right_aligned`` are right-aligned (numbers). ``None`` cells
    print as ``-``; every other value is shown through :func:`printable`, so the table has
    exactly one line per row whatever the values hold. Trailing spaces are stripped so the
    output diffs cleanly. Raises nothing.
    """
    cells = [[_cell(value) for value in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        for index, text in enumerate(row):
            widths[index] = max(widths[index], len(text))

    def line(values: Sequence[str]) -> str:
        parts = [
            value.rjust(widths[i]) if i in right_aligned else value.ljust(widths[i])
            for i, value in enumerate(values)
        ]
        return "  ".join(parts).rstrip()

    return "\n".join([line(list(headers)), *(line(row) for row in cells)])


def format_timestamp(value: datetime | None) -> str:
    """A timestamp in UTC to the second, ``2026-03-01T12:00:05Z``; ``-`` for ``None``."""
    if value is None:
        return "-"
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return format_timestamp(value)
    return printable(str(value))
