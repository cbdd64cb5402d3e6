"""A safe YAML loader that keeps the position of every key and value.

Builds Python data straight from the parser's event stream (libyaml when available, the pure
Python parser otherwise), so it never recurses, never runs a constructor outside the safe
scalar ones, and can refuse bad input early and precisely:

- more than ``max_bytes`` of input (checked before parsing), bytes that are not UTF-8, and
  characters YAML forbids, each located by line and column;
- any tag that is not a plain YAML data tag (``!!python/...``, ``!custom``, ``!!set``...);
- the same key twice in one mapping (PyYAML silently keeps the last one);
- aliases that would expand the document beyond ``max_alias_nodes`` nodes ("billion laughs"),
  recursive aliases, and nesting deeper than ``max_depth``;
- a top level that is not a mapping, an empty file, more than one document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Final

import yaml
from yaml import events as ev
from yaml.constructor import SafeConstructor
from yaml.nodes import ScalarNode

from omnibase_core.contracts.contract_errors import build_contract_error
from omnibase_core.contracts.model_yaml_document import (
    ModelYamlDocument,
    YamlPath,
    YamlPosition,
    format_field_path,
    preview_value,
)
from omnibase_core.models.contracts.model_contract_problem import ModelContractProblem
from omnibase_core.models.primitives.contract_key import is_blank

DEFAULT_MAX_BYTES: Final = 1024 * 1024
DEFAULT_MAX_ALIAS_NODES: Final = 10_000
DEFAULT_MAX_DEPTH: Final = 64

_YAML_TAG: Final = "tag:yaml.org,2002:"
_STR_TAG: Final = _YAML_TAG + "str"
_MERGE_TAG: Final = _YAML_TAG + "merge"
_MAP_TAGS: Final = frozenset({None, "!", _YAML_TAG + "map"})
_SEQ_TAGS: Final = frozenset({None, "!", _YAML_TAG + "seq"})
_SCALAR_TAGS: Final = frozenset(
    _YAML_TAG + name for name in ("null", "bool", "int", "float", "timestamp", "binary")
)
#: Plain (unquoted) scalars YAML 1.1 reads as something other than data, and what they are.
_SPECIAL_PLAIN_TAGS: Final = {
    _MERGE_TAG: "YAML's merge key",
    _YAML_TAG + "value": "YAML's value key",
}
#: Characters YAML 1.1 does not allow in a stream (the same set the YAML reader refuses).
_NON_PRINTABLE: Final = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)


class _FatalProblemError(Exception):
    """Stops parsing at a problem after which nothing sensible can be read."""

    def __init__(self, problem: ModelContractProblem) -> None:
        super().__init__(problem.message)
        self.problem = problem


@dataclass(slots=True)
class _Frame:
    """A mapping or sequence being built."""

    path: YamlPath
    is_mapping: bool
    anchor: str | None
    items: Any
    nodes: int = 1
    # mapping only
    expecting_key: bool = True
    key: Any = None
    key_is_merge: bool = False
    key_lines: dict[Any, YamlPosition] = field(default_factory=dict)
    merges: list[tuple[Any, YamlPosition, YamlPath]] = field(default_factory=list)


def _show_tag(tag: str) -> str:
    return "!!" + tag[len(_YAML_TAG) :] if tag.startswith(_YAML_TAG) else tag


def _position(mark: Any) -> YamlPosition:
    return (mark.line + 1, mark.column + 1)


def split_hint(message: str) -> tuple[str, str]:
    """``"what is wrong; what to do"`` as ``(what is wrong, what to do)``; the loader's messages
    follow that form (``(message, "")`` when there is no ``; ``)."""
    problem, separator, hint = message.rpartition("; ")
    return (problem, hint) if separator else (message, "")


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _line_column(text: str, index: int) -> YamlPosition:
    line_start = text.rfind("\n", 0, index) + 1
    return (text.count("\n", 0, index) + 1, index - line_start + 1)


class YamlPositionLoader:
    """Loads one YAML mapping document safely, recording where each key and value is written.

    One instance holds only limits and may be shared across threads. Every problem is raised
    as one ``ModelOnexError(CONTRACT_VALIDATION_ERROR)`` whose message lists
    ``source:line:column: field: message`` lines and whose ``context["problems"]`` holds them
    as dicts. Duplicate keys are all collected before raising; any other problem stops parsing.
    """

    def __init__(
        self,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_alias_nodes: int = DEFAULT_MAX_ALIAS_NODES,
        max_depth: int = DEFAULT_MAX_DEPTH,
        use_libyaml: bool = True,
        caller: str = "YamlPositionLoader.load",
    ) -> None:
        self.max_bytes = max_bytes
        self.max_alias_nodes = max_alias_nodes
        self.max_depth = max_depth
        self.caller = caller
        self.loader_class: type[Any] = (
            getattr(yaml, "CSafeLoader", yaml.SafeLoader) if use_libyaml else yaml.SafeLoader
        )

    def load_bytes(self, data: bytes, source: str) -> ModelYamlDocument:
        """Check size and UTF-8 encoding of ``data``, then :meth:`load_text` it.

        Raises ``ModelOnexError(CONTRACT_VALIDATION_ERROR)`` when too large, not UTF-8 (naming
        the byte offset and its line and column) or invalid as described on the class.
        """
        self.check_size(len(data), source)
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise self._error(
                source, (1, 1), "", "file is UTF-16 encoded; save it as UTF-8", fatal=False
            )
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            prefix = data[: exc.start]
            line = prefix.count(b"\n") + 1
            column = len(prefix[prefix.rfind(b"\n") + 1 :].decode("utf-8", "replace")) + 1
            raise self._error(
                source,
                (line, column),
                "",
                f"byte 0x{data[exc.start]:02x} at offset {exc.start} is not valid UTF-8 "
                f"({exc.reason}); contracts must be saved as UTF-8",
                fatal=False,
            ) from None
        return self._load(text, source)

    def load_text(self, text: str, source: str) -> ModelYamlDocument:
        """Parse ``text``; raises ``ModelOnexError(CONTRACT_VALIDATION_ERROR)`` when invalid."""
        if len(text) > self.max_bytes // 4:
            self.check_size(len(text.encode("utf-8", "surrogatepass")), source)
        return self._load(text.removeprefix("\ufeff"), source)

    def check_size(self, size: int, source: str) -> None:
        """Raise ``ModelOnexError(CONTRACT_VALIDATION_ERROR)`` if ``size`` bytes is too many."""
        if size > self.max_bytes:
            raise self._error(
                source,
                (1, 1),
                "",
                f"file is {size} bytes, more than the limit of {self.max_bytes} bytes; "
                "split the contract or raise the limit (max_bytes)",
                fatal=False,
            )

    def _error(
        self,
        source: str,
        position: YamlPosition,
        path: str,
        message: str,
        *,
        fatal: bool,
        problems: list[ModelContractProblem] | None = None,
    ) -> Exception:
        message, hint = split_hint(message)
        problem = ModelContractProblem(
            path=source,
            line=position[0],
            column=position[1],
            field=path,
            message=message,
            hint=hint,
        )
        if fatal:
            return _FatalProblemError(problem)
        return build_contract_error(self.caller, source, [*(problems or []), problem])

    def _load(self, text: str, source: str) -> ModelYamlDocument:
        bad = _NON_PRINTABLE.search(text)
        if bad is not None:
            raise self._error(
                source,
                _line_column(text, bad.start()),
                "",
                f"character U+{ord(bad.group()):04X} is not allowed in YAML; remove it",
                fatal=False,
            )
        problems: list[ModelContractProblem] = []
        try:
            document = _EventReader(self, source, problems).read(text)
        except _FatalProblemError as exc:
            raise build_contract_error(self.caller, source, [*problems, exc.problem]) from None
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            position = _position(mark) if mark is not None else (1, 1)
            detail = exc.problem or exc.context or "invalid YAML"
            if exc.context and exc.problem:
                started = ""
                if exc.context_mark is not None and exc.context_mark is not mark:
                    line, column = _position(exc.context_mark)
                    started = f" started at line {line} column {column}"
                detail = f"{exc.problem} ({exc.context}{started})"
            raise self._error(
                source, position, "", f"YAML syntax error: {detail}", fatal=False, problems=problems
            ) from None
        except yaml.YAMLError as exc:
            raise self._error(
                source, (1, 1), "", f"YAML error: {exc}", fatal=False, problems=problems
            ) from None
        if problems:
            raise build_contract_error(self.caller, source, problems)
        return document


class _EventReader:
    """Builds data and positions from the event stream of one text (single use)."""

    def __init__(
        self, limits: YamlPositionLoader, source: str, problems: list[ModelContractProblem]
    ) -> None:
        self.limits = limits
        self.source = source
        self.problems = problems
        self.key_positions: dict[YamlPath, YamlPosition] = {}
        self.value_positions: dict[YamlPath, YamlPosition] = {}
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.open_anchors: set[str] = set()
        self.alias_nodes = 0
        self.stack: list[_Frame] = []
        self.root: Any = None
        self.root_done = False

    def problem(
        self, position: YamlPosition, path: YamlPath, message: str, hint: str = ""
    ) -> ModelContractProblem:
        if not hint:
            message, hint = split_hint(message)
        return ModelContractProblem(
            path=self.source,
            line=position[0],
            column=position[1],
            field=format_field_path(path),
            message=message,
            hint=hint,
        )

    def fatal(
        self, position: YamlPosition, path: YamlPath, message: str, hint: str = ""
    ) -> _FatalProblemError:
        return _FatalProblemError(self.problem(position, path, message, hint))

    def read(self, text: str) -> ModelYamlDocument:
        parser = self.limits.loader_class(text)
        try:
            self._read_events(parser)
        finally:
            parser.dispose()
        return ModelYamlDocument(
            source=self.source,
            data=self.root,
            key_positions=self.key_positions,
            value_positions=self.value_positions,
        )

    def _read_events(self, parser: Any) -> None:
        get_event = parser.get_event
        event = get_event()  # StreamStart
        event = get_event()
        if isinstance(event, ev.StreamEndEvent):
            raise self.fatal(
                _position(event.start_mark),
                (),
                "the file is empty; a contract is a mapping with at least name, "
                "contract_version and node_type",
            )
        event = get_event()  # the root node's first event
        self._check_root(event)
        while True:
            self._handle(event, parser)
            if self.root_done:
                break
            event = get_event()
        get_event()  # DocumentEnd
        event = get_event()
        if not isinstance(event, ev.StreamEndEvent):
            raise self.fatal(
                _position(event.start_mark),
                (),
                "a contract file holds exactly one YAML document; remove the second '---' "
                "document or move it to its own file",
            )

    def _check_root(self, event: Any) -> None:
        if isinstance(event, ev.MappingStartEvent):
            return
        if isinstance(event, ev.SequenceStartEvent):
            found = "a list"
        elif isinstance(event, ev.ScalarEvent) and event.value == "" and event.implicit[0]:
            found = "an empty document"
        elif isinstance(event, ev.ScalarEvent):
            found = f"the scalar {preview_value(event.value)}"
        else:
            found = "an alias"
        raise self.fatal(
            _position(event.start_mark),
            (),
            f"the top level of a contract must be a mapping, found {found}",
            "write name: ..., contract_version: ... and node_type: ... at the top level",
        )

    # -- events ---------------------------------------------------------------------------

    def _handle(self, event: Any, parser: Any) -> None:
        if isinstance(event, ev.ScalarEvent):
            self._scalar(event, parser)
        elif isinstance(event, ev.MappingStartEvent | ev.SequenceStartEvent):
            self._start(event)
        elif isinstance(event, ev.MappingEndEvent | ev.SequenceEndEvent):
            self._end()
        elif isinstance(event, ev.AliasEvent):
            self._alias(event)

    def _child_path(self, position: YamlPosition) -> YamlPath:
        """The path of the next value in the innermost open collection (none at the root)."""
        if not self.stack:
            return ()
        frame = self.stack[-1]
        if frame.is_mapping:
            if frame.expecting_key:
                raise self.fatal(
                    position,
                    frame.path,
                    "mapping keys must be plain scalars (strings, numbers), not lists or "
                    "mappings; quote the key",
                )
            return (*frame.path, frame.key)
        return (*frame.path, len(frame.items))

    def _start(self, event: Any) -> None:
        position = _position(event.start_mark)
        is_mapping = isinstance(event, ev.MappingStartEvent)
        path = self._child_path(position)
        if event.tag not in (_MAP_TAGS if is_mapping else _SEQ_TAGS):
            raise self._tag_error(event.tag, position, path)
        if len(self.stack) >= self.limits.max_depth:
            raise self.fatal(
                position,
                path,
                f"nesting is deeper than {self.limits.max_depth} levels; flatten the structure",
            )
        self.value_positions[path] = position
        if event.anchor is not None:
            self.open_anchors.add(event.anchor)
        self.stack.append(_Frame(path, is_mapping, event.anchor, {} if is_mapping else []))

    def _end(self) -> None:
        frame = self.stack.pop()
        value = frame.items
        if frame.is_mapping and frame.merges:
            value = self._apply_merges(frame)
        if frame.anchor is not None:
            self.open_anchors.discard(frame.anchor)
            self.anchors[frame.anchor] = (value, frame.nodes)
        self._add(value, frame.nodes, None)

    def _scalar(self, event: Any, parser: Any) -> None:
        position = _position(event.start_mark)
        frame = self.stack[-1] if self.stack else None
        is_key = frame is not None and frame.is_mapping and frame.expecting_key
        path = frame.path if is_key and frame is not None else self._child_path(position)
        tag = event.tag
        if tag is None or tag == "!":
            tag = (
                _STR_TAG if tag == "!" else parser.resolve(ScalarNode, event.value, event.implicit)
            )
        if event.implicit[0] and tag in _SPECIAL_PLAIN_TAGS and not (tag == _MERGE_TAG and is_key):
            self.problems.append(
                self.problem(
                    position,
                    path,
                    f"the plain {'key' if is_key else 'value'} {event.value!r} is "
                    f"{_SPECIAL_PLAIN_TAGS[tag]}, not text",
                    f"quote it: {_quoted(event.value)}",
                )
            )
            tag = _STR_TAG
        if tag == _STR_TAG:
            value: Any = event.value
        elif tag == _MERGE_TAG and is_key:
            value = None
        elif tag in _SCALAR_TAGS:
            node = ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
            try:
                value = SafeConstructor.yaml_constructors[tag](parser, node)
            except Exception as exc:
                raise self.fatal(
                    position,
                    path,
                    f"cannot read {preview_value(event.value)} as {_show_tag(tag)} ({exc}); "
                    "fix the value or quote it",
                ) from None
        else:
            raise self._tag_error(tag, position, path)
        if event.anchor is not None:
            self.anchors[event.anchor] = (value, 1)
        if is_key and frame is not None:
            self._key(frame, value, position, is_merge=tag == _MERGE_TAG)
        else:
            self.value_positions[path] = position
            self._add(value, 1, path)

    def _alias(self, event: Any) -> None:
        position = _position(event.start_mark)
        frame = self.stack[-1] if self.stack else None
        is_key = frame is not None and frame.is_mapping and frame.expecting_key
        path = frame.path if is_key and frame is not None else self._child_path(position)
        if event.anchor in self.open_anchors:
            raise self.fatal(
                position,
                path,
                f"alias *{event.anchor} refers to a node that contains it: recursive "
                "structures are not allowed in contracts",
                "write the value out instead of the alias",
            )
        try:
            value, nodes = self.anchors[event.anchor]
        except KeyError:
            raise self.fatal(
                position, path, f"alias *{event.anchor} has no matching anchor &{event.anchor}"
            ) from None
        self.alias_nodes += nodes
        if self.alias_nodes > self.limits.max_alias_nodes:
            raise self.fatal(
                position,
                path,
                f"aliases expand the document beyond {self.limits.max_alias_nodes} nodes "
                "(an alias bomb?); write the values out or use fewer nested aliases",
            )
        if is_key and frame is not None:
            if isinstance(value, dict | list):
                raise self.fatal(position, path, "mapping keys must be plain scalars")
            self._key(frame, value, position, is_merge=False)
        else:
            self.value_positions[path] = position
            self._add(value, nodes, path)

    # -- building -------------------------------------------------------------------------

    def _key(self, frame: _Frame, key: Any, position: YamlPosition, *, is_merge: bool) -> None:
        frame.expecting_key = False
        frame.key_is_merge = is_merge
        frame.key = key
        if is_merge:
            frame.key = "<<"
            return
        path = (*frame.path, key)
        if isinstance(key, str) and is_blank(key):
            self.problems.append(
                self.problem(
                    position,
                    path,
                    f"mapping key {preview_value(key)} is empty: it holds no visible character",
                    "name the key with visible characters, or remove the entry",
                )
            )
        first = frame.key_lines.get(key)
        if first is not None:
            self.problems.append(
                self.problem(
                    position,
                    path,
                    f"duplicate key {preview_value(key)}: already defined at line {first[0]} "
                    f"column {first[1]}, defined again at line {position[0]} column "
                    f"{position[1]}",
                    "keep only one",
                )
            )
            return
        frame.key_lines[key] = position
        self.key_positions[path] = position

    def _add(self, value: Any, nodes: int, path: YamlPath | None) -> None:
        if not self.stack:
            self.root = value
            self.root_done = True
            return
        frame = self.stack[-1]
        frame.nodes += nodes
        if not frame.is_mapping:
            frame.items.append(value)
            return
        if frame.key_is_merge:
            merge_path = (*frame.path, "<<")
            self.key_positions.pop(merge_path, None)
            position = self.value_positions.pop(merge_path, (1, 1))
            frame.merges.append((value, position, merge_path))
        elif frame.key not in frame.items:
            frame.items[frame.key] = value
        frame.expecting_key = True
        frame.key_is_merge = False

    def _apply_merges(self, frame: _Frame) -> dict[Any, Any]:
        merged: dict[Any, Any] = {}
        for value, position, merge_path in frame.merges:
            sources = value if isinstance(value, list) else [value]
            for source in sources:
                if not isinstance(source, dict):
                    raise self.fatal(
                        position,
                        merge_path,
                        "a merge key '<<' takes a mapping or a list of mappings",
                    )
                for key, item in source.items():
                    if key in merged or key in frame.items:
                        continue
                    merged[key] = item
                    self.key_positions[(*frame.path, key)] = position
                    self.value_positions[(*frame.path, key)] = position
        merged.update(frame.items)
        return merged

    def _tag_error(self, tag: str, position: YamlPosition, path: YamlPath) -> _FatalProblemError:
        shown = _show_tag(tag)
        if tag.startswith(_YAML_TAG + "python/"):
            why = "Python object tags are never loaded from contracts (they can run code)"
        else:
            why = "contracts hold plain YAML data only"
        return self.fatal(position, path, f"tag {shown!r} is not allowed: {why}; remove the tag")
