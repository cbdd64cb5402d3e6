"""Terminal tables cannot be forged or driven by the values they show."""

from __future__ import annotations

import ast
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from omnibase_infra.cli.cli_table import render_table
from omnibase_infra.cli.cli_text import one_line, printable

# Every code point, surrogates included, with the dangerous ones drawn often.
_HOSTILE = "\n\r\t\x00\x1b\x07\x08\x0b\x0c\x1c\x1d\x1e\x1f\x7f\x85\x9b\x9d\xa0\xad"
_HOSTILE += "\u200b\u200d\u200e\u2028\u2029\u202a\u202e\u2066\u2069\ufeff\ud800\U000e0001\\"
texts = st.text(alphabet=st.characters(codec=None) | st.sampled_from(_HOSTILE), max_size=40)


def _is_terminal_safe(text: str) -> bool:
    return all(char.isprintable() for char in text)


@given(texts)
def test_printable_is_one_line_of_printable_characters(text: str) -> None:
    shown = printable(text)

    assert _is_terminal_safe(shown)
    assert len(shown.splitlines()) <= 1
    assert not any(unicodedata.category(char) in {"Cc", "Cf", "Cs", "Zl", "Zp"} for char in shown)


@given(texts)
def test_printable_is_a_python_string_literal_of_the_value(text: str) -> None:
    # the escapes are exactly Python's, so the shown text is unambiguous: it reads back as-is
    assert ast.literal_eval(f'"{printable(text).replace(chr(34), chr(92) + chr(34))}"') == text


@given(texts)
def test_printable_leaves_printable_text_without_backslashes_alone(text: str) -> None:
    if text.isprintable() and "\\" not in text:
        assert printable(text) == text


@given(st.lists(st.tuples(texts, texts, st.integers()), max_size=6))
def test_a_table_has_one_line_per_row_whatever_its_values(rows: list[tuple[str, str, int]]) -> None:
    table = render_table(("NAME", "VERSION", "EPOCH"), rows, right_aligned=frozenset({2}))

    lines = table.split("\n")
    assert len(lines) == len(rows) + 1
    assert table.splitlines() == lines
    assert all(_is_terminal_safe(line) for line in lines)
    assert all(
        line.startswith(printable(row[0])) for line, row in zip(lines[1:], rows, strict=True)
    )


@given(texts)
def test_an_error_line_is_one_printable_line(text: str) -> None:
    line = one_line(text)

    assert line
    assert _is_terminal_safe(line)
    assert line.splitlines() == [line]


def test_the_usual_escapes() -> None:
    assert printable("a\nb") == "a\\nb"
    assert printable("\x1b[2J") == "\\x1b[2J"
    assert printable("\x9b31m\x7f") == "\\x9b31m\\x7f"
    assert printable("evil\u202etxt.exe") == "evil\\u202etxt.exe"
    assert printable("C:\\dir") == "C:\\\\dir"
    assert printable("node-é-北") == "node-é-北"
    assert one_line("first\n  second\x1b[0m") == "first second\\x1b[0m"
