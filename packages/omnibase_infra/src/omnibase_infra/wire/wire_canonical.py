"""The canonical form of a snapshot mapping (a node's ``capabilities`` and ``endpoints``).

Canonical JSON text: keys sorted (by code point, at every depth), no insignificant whitespace,
non-ASCII characters as themselves, numbers as Python writes them (integers exactly, floats as
the shortest text that reads back as the same double, e.g. ``1e+23``, ``1.5e+300``, ``-0.0``),
non-finite numbers refused. Two snapshots are the same exactly when their canonical texts are
equal: so ``1``, ``1.0`` and ``true`` differ, and key order never matters.

Every store keeps snapshots as this text (SQLite ``TEXT``, PostgreSQL ``text``, the memory store
the mapping parsed back from it), never as PostgreSQL ``jsonb``, whose numeric form rewrites
``1e+23`` as ``100000000000000000000000``. Reading the text back gives the same values, so a
decision never depends on which store, which batch or which restart produced the row.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

_encode = json.JSONEncoder(
    ensure_ascii=False, allow_nan=False, sort_keys=True, separators=(",", ":")
).encode


def canonical_json(value: Mapping[str, Any]) -> str:
    """The canonical JSON text of ``value``.

    Raises ``ValueError`` for a non-finite number and ``TypeError`` for a value that is not
    JSON (the wire codec admits neither).
    """
    return _encode(value)


def canonical_mapping(value: Mapping[str, Any]) -> dict[str, Any]:
    """``value`` in canonical form: the mapping read back from :func:`canonical_json` (keys
    sorted at every depth, fresh objects sharing nothing with ``value``). Raises as
    :func:`canonical_json`."""
    result: dict[str, Any] = json.loads(_encode(value))
    return result
