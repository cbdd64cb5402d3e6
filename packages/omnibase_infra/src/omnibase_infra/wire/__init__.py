"""The wire rules shared by the codec, the handlers and the stores.

Limits every stored value satisfies, the one accepted instant form, the canonical form of
snapshot mappings, and the escaping that keeps any raw input line storable.
"""

from omnibase_infra.wire.wire_canonical import canonical_json, canonical_mapping
from omnibase_infra.wire.wire_instants import INSTANT_FORM, instant_violation, parse_wire_instant
from omnibase_infra.wire.wire_limits import (
    INT64_MAX,
    INT64_MIN,
    find_violation,
    integer_violation,
    load_wire_json,
    number_violation,
    text_violation,
)
from omnibase_infra.wire.wire_text import (
    escape_raw,
    printable,
    raw_needs_escaping,
    storable_text,
    unescape_raw,
)

__all__ = [
    "INSTANT_FORM",
    "INT64_MAX",
    "INT64_MIN",
    "canonical_json",
    "canonical_mapping",
    "escape_raw",
    "find_violation",
    "instant_violation",
    "integer_violation",
    "load_wire_json",
    "number_violation",
    "parse_wire_instant",
    "printable",
    "raw_needs_escaping",
    "storable_text",
    "text_violation",
    "unescape_raw",
]
