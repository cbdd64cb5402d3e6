"""The shared contract key type: keys made only of invisible characters are empty keys.

Generated over the whole class of invisible characters (whitespace, Unicode format characters
``Cf`` and the other default-ignorable code points), through every place a key is read.
"""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from omnibase_core.contracts import load_contract_text
from omnibase_core.models.contracts import ModelContract
from omnibase_core.models.contracts.subcontracts import (
    ModelHandlerRoutingEntry,
    ModelHandlerRoutingSubcontract,
)
from omnibase_core.models.errors import ModelOnexError
from omnibase_core.models.primitives import ContractKey
from omnibase_core.models.primitives.contract_key import is_blank, is_invisible, strip_invisible

KEY = TypeAdapter(ContractKey)

_IGNORABLE_SAMPLES = [
    "\u00ad", "\u034f", "\u061c", "\u115f", "\u1160", "\u17b4", "\u180b", "\u180e", "\u200b",
    "\u200c", "\u200d", "\u200e", "\u200f", "\u202a", "\u202e", "\u2060", "\u2064", "\u206f",
    "\u3164", "\ufe00", "\ufe0f", "\ufeff", "\uffa0", "\ufff0", "\U0001bca0", "\U0001d173",
    "\U000e0001", "\U000e0020", "\U000e0fff",
]  # fmt: skip
invisible_characters = st.one_of(
    st.characters(categories=["Cf", "Zs", "Zl", "Zp"]),
    st.sampled_from([*"\t\n\v\f\r\x1c\x1d\x1e\x1f\x85", *_IGNORABLE_SAMPLES]),
)
blank_keys = st.text(alphabet=invisible_characters, max_size=6)
visible_cores = st.text(min_size=1, max_size=10).filter(
    lambda text: not is_blank(text) and "\x00" not in text
)


@settings(max_examples=300, deadline=None)
@given(character=invisible_characters)
def test_every_generated_character_is_invisible(character: str) -> None:
    assert is_invisible(character)
    assert character.isspace() or unicodedata.category(character) in {"Cf", "Mn", "Lo", "Cn"}


@settings(max_examples=300, deadline=None)
@given(key=blank_keys)
def test_blank_keys_are_rejected_by_the_type(key: str) -> None:
    assert is_blank(key)
    with pytest.raises(ValidationError, match="no visible character"):
        KEY.validate_python(key)


@settings(max_examples=300, deadline=None)
@given(left=blank_keys, core=visible_cores, right=blank_keys)
def test_visible_keys_are_kept_and_stripped_at_both_ends(left: str, core: str, right: str) -> None:
    stripped = KEY.validate_python(left + core + right)
    assert stripped == strip_invisible(core)
    assert not is_invisible(stripped[0])
    assert not is_invisible(stripped[-1])
    assert stripped in core


def _yaml_quoted(text: str) -> str:
    """``text`` as a YAML double-quoted scalar, every character escaped."""
    return (
        '"'
        + "".join(f"\\u{ord(c):04x}" if ord(c) < 0x10000 else f"\\U{ord(c):08x}" for c in text)
        + '"'
    )


def _field_values(key: str) -> list[tuple[str, Any]]:
    """Every model field that takes a key, fed ``key``."""
    return [
        ("routing_key", lambda: ModelHandlerRoutingEntry(routing_key=key, handler_key="h")),
        ("handler_key", lambda: ModelHandlerRoutingEntry(routing_key="k", handler_key=key)),
        (
            "operation",
            lambda: ModelHandlerRoutingEntry.model_validate(
                {"handler": {"name": "H", "module": "m"}, "operation": key}
            ),
        ),
        (
            "default_handler",
            lambda: ModelHandlerRoutingSubcontract.model_validate(
                {"version": "1.0.0", "default_handler": key}
            ),
        ),
        (
            "name",
            lambda: ModelContract.model_validate(
                {"name": key, "contract_version": "1.0.0", "node_type": "effect"}
            ),
        ),
    ]


@settings(max_examples=100, deadline=None)
@given(key=blank_keys)
def test_blank_keys_are_rejected_by_every_model_field(key: str) -> None:
    for field, build in _field_values(key):
        with pytest.raises(ValidationError, match="no visible character"):
            build()
        assert field


@settings(max_examples=100, deadline=None)
@given(key=blank_keys)
def test_blank_mapping_keys_are_rejected_by_the_loader(key: str) -> None:
    text = f"name: n\ncontract_version: 1.0.0\nnode_type: effect\n{_yaml_quoted(key)}: 1\n"
    with pytest.raises(ModelOnexError) as caught:
        load_contract_text(text, source="k.yaml")
    lines = caught.value.message.splitlines()[1:]
    assert len(lines) == 1
    assert lines[0].startswith("k.yaml:4:1: ")
    assert "is empty: it holds no visible character" in lines[0]


@settings(max_examples=100, deadline=None)
@given(key=blank_keys)
def test_blank_routing_key_in_a_contract_is_one_located_line(key: str) -> None:
    text = (
        "name: n\ncontract_version: 1.0.0\nnode_type: effect\nhandler_routing:\n"
        f"  handlers:\n    - routing_key: {_yaml_quoted(key)}\n      handler_key: h\n"
    )
    with pytest.raises(ModelOnexError) as caught:
        load_contract_text(text, source="k.yaml")
    (line,) = caught.value.message.splitlines()[1:]
    assert line.startswith("k.yaml:6:20: handler_routing.handlers[0].routing_key: is empty")
