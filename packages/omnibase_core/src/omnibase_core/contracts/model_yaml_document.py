"""A parsed YAML document together with the position of every key and value."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from omnibase_core.models.primitives.contract_key import is_blank

#: A path into a document: mapping keys and sequence indexes, from the root.
YamlPath = tuple[Any, ...]
#: A 1-based ``(line, column)`` position.
YamlPosition = tuple[int, int]

_ROOT_POSITION: YamlPosition = (1, 1)
#: The longest value shown in a problem message (longer ones end in ``...``).
_VALUE_PREVIEW = 40


def format_field_path(path: YamlPath) -> str:
    """Render a path as ``handler_routing.handlers[0].handler_key`` (``""`` for the root).

    A key that is blank or holds unprintable characters is shown as its ``repr``.
    """
    parts: list[str] = []
    for element in path:
        if isinstance(element, int) and not isinstance(element, bool):
            parts.append(f"[{element}]")
            continue
        if isinstance(element, str) and (not element.isprintable() or is_blank(element)):
            element = repr(element)  # an invisible or control character must show
        parts.append(f".{element}" if parts else str(element))
    return "".join(parts)


def preview_value(value: Any) -> str:
    """``repr(value)`` for a problem message, cut to 40 characters (ending in ``...``)."""
    text = repr(value)
    return text if len(text) <= _VALUE_PREVIEW else text[: _VALUE_PREVIEW - 3] + "..."


@dataclass(frozen=True, slots=True)
class ModelYamlDocument:
    """The data of one YAML document and where each part of it was written.

    ``data`` is the constructed top-level mapping. ``key_positions`` maps the path of every
    mapping entry to the position of its key; ``value_positions`` maps the path of every value
    (mapping values and sequence items, and the root at ``()``) to where the value starts.
    Values reached through an alias are located at the alias; keys brought in by a merge key
    (``<<``) at the merge key. Positions are 1-based.
    """

    source: str
    data: dict[Any, Any]
    key_positions: Mapping[YamlPath, YamlPosition] = field(default_factory=dict)
    value_positions: Mapping[YamlPath, YamlPosition] = field(default_factory=dict)

    def value_position(self, path: YamlPath) -> YamlPosition:
        """Where the value at ``path`` starts; falls back to the nearest located ancestor."""
        for end in range(len(path), -1, -1):
            position = self.value_positions.get(path[:end])
            if position is not None:
                return position
        return _ROOT_POSITION

    def key_position(self, path: YamlPath) -> YamlPosition:
        """Where the key of the entry at ``path`` is written; else :meth:`value_position`."""
        position = self.key_positions.get(path)
        if position is not None:
            return position
        return self.value_position(path)
