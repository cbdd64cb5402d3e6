"""Row <-> model conversion and the statements of the SQLite registration store.

Models are rebuilt without validation (:mod:`omnibase_infra.models.trusted_models`) from values
this store wrote itself after they were validated, with every field converted back to its
declared type (UUID, enum, aware datetime, dict), so the result equals the validated model
without paying for validation again.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, NamedTuple, cast
from uuid import UUID

from omnibase_core.enums import EnumNodeKind
from omnibase_infra.enums import (
    EnumDeadLetterReason,
    EnumLifecycleEventType,
    EnumRegistrationState,
)
from omnibase_infra.models import (
    ModelDeadLetter,
    ModelLifecycleEvent,
    ModelRegistrationProjection,
    partition_hash,
)
from omnibase_infra.models.trusted_models import construct_trusted
from omnibase_infra.stores.json_text import dumps as _dumps
from omnibase_infra.stores.timestamps import from_db_micros, to_db_micros

_loads = json.loads

NODE_COLUMNS = (
    "node_id, node_name, state, node_type, node_version, epoch, capabilities, endpoints, "
    "registered_at, last_heartbeat_at, liveness_deadline, last_introspection_at, updated_at"
)
SELECT_NODE = f"SELECT {NODE_COLUMNS} FROM nodes WHERE node_id = ?"
UPSERT_NODE = (
    f"INSERT OR REPLACE INTO nodes ({NODE_COLUMNS}, partition_hash) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
CLAIM_EXPIRED = (
    f"SELECT {NODE_COLUMNS} FROM nodes WHERE state = 'active' AND liveness_deadline < ? "
    "ORDER BY liveness_deadline, node_id LIMIT ?"
)
CLAIM_EXPIRED_PARTITION = (
    f"SELECT {NODE_COLUMNS} FROM nodes WHERE state = 'active' AND liveness_deadline < ? "
    "AND partition_hash % ? = ? ORDER BY liveness_deadline, node_id LIMIT ?"
)
LIST_NODES = f"SELECT {NODE_COLUMNS} FROM nodes ORDER BY node_name, node_id"
LIST_NODES_IN_STATE = (
    f"SELECT {NODE_COLUMNS} FROM nodes WHERE state = ? ORDER BY node_name, node_id"
)

EVENT_COLUMNS = (
    "event_id, event_type, topic, node_id, causation_id, correlation_id, emitted_at, data"
)
INSERT_EVENT = f"INSERT INTO outbox ({EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
SELECT_EVENTS = (
    f"SELECT sequence, {EVENT_COLUMNS} FROM outbox WHERE sequence > ? ORDER BY sequence LIMIT ?"
)

DEAD_LETTER_COLUMNS = (
    "dead_letter_id, envelope_id, reason, detail, source, line_number, raw, recorded_at, "
    "raw_escaped"
)
INSERT_DEAD_LETTER = (
    f"INSERT OR IGNORE INTO dead_letters ({DEAD_LETTER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
SELECT_DEAD_LETTERS = f"SELECT {DEAD_LETTER_COLUMNS} FROM dead_letters ORDER BY seq"


def _opt_micros(value: Any) -> int | None:
    return None if value is None else to_db_micros(value)


def _opt_time(micros: int | None) -> Any:
    return None if micros is None else from_db_micros(micros)


def dumps(value: Any) -> str:
    """Compact JSON text of ``value`` (key order kept)."""
    return _dumps(value)


class CachedNode(NamedTuple):
    """A committed (or staged) node row: the projection and its stored values, in the order of
    :data:`UPSERT_NODE`'s parameters (the partition hash last, ``None`` until computed)."""

    projection: ModelRegistrationProjection
    params: tuple[Any, ...]


#: Builds a :class:`CachedNode` from its two values in C (``CachedNode(...)`` runs the
#: Python-level ``__new__`` every named tuple has).
_entry = cast(
    Callable[[type[CachedNode], tuple[ModelRegistrationProjection, tuple[Any, ...]]], CachedNode],
    tuple.__new__,
)


def cached_node(node: ModelRegistrationProjection, previous: CachedNode | None) -> CachedNode:
    """The cache entry of ``node``, its stored values being the parameters of
    :data:`UPSERT_NODE`.

    ``previous`` is the node's current row (the same ``node_id``): a value that is the very
    object of its row (a projection derived from it with a few fields changed) reuses the
    stored form instead of converting it again. The fields are read from the models'
    ``__dict__`` (where pydantic keeps them; an attribute read goes through the model's
    ``__getattr__`` hook first). Raises what the JSON encoder raises for a mapping it cannot
    write.
    """
    if previous is None:
        return _entry(CachedNode, (node, _fresh_params(node)))
    new, old, last = node.__dict__, previous.projection.__dict__, previous.params
    params = (
        last[0],
        new["node_name"],
        last[2] if new["state"] is old["state"] else node.state.value,
        last[3] if new["node_type"] is old["node_type"] else node.node_type.value,
        new["node_version"],
        new["epoch"],
        last[6] if new["capabilities"] is old["capabilities"] else _dumps(new["capabilities"]),
        last[7] if new["endpoints"] is old["endpoints"] else _dumps(new["endpoints"]),
        last[8]
        if new["registered_at"] is old["registered_at"]
        else to_db_micros(new["registered_at"]),
        last[9]
        if new["last_heartbeat_at"] is old["last_heartbeat_at"]
        else _opt_micros(new["last_heartbeat_at"]),
        last[10]
        if new["liveness_deadline"] is old["liveness_deadline"]
        else _opt_micros(new["liveness_deadline"]),
        last[11]
        if new["last_introspection_at"] is old["last_introspection_at"]
        else _opt_micros(new["last_introspection_at"]),
        last[12] if new["updated_at"] is old["updated_at"] else to_db_micros(new["updated_at"]),
        partition_hash(node.node_id) if last[13] is None else last[13],
    )
    return _entry(CachedNode, (node, params))


def _fresh_params(node: ModelRegistrationProjection) -> tuple[Any, ...]:
    return (
        str(node.node_id),
        node.node_name,
        node.state.value,
        node.node_type.value,
        node.node_version,
        node.epoch,
        _dumps(node.capabilities),
        _dumps(node.endpoints),
        to_db_micros(node.registered_at),
        _opt_micros(node.last_heartbeat_at),
        _opt_micros(node.liveness_deadline),
        _opt_micros(node.last_introspection_at),
        to_db_micros(node.updated_at),
        partition_hash(node.node_id),
    )


def cached_node_from_row(row: tuple[Any, ...]) -> CachedNode:
    """The cache entry of a row selected with :data:`NODE_COLUMNS`."""
    return _entry(CachedNode, (node_from_row(row), (*row, None)))


def node_from_row(row: tuple[Any, ...]) -> ModelRegistrationProjection:
    """The projection stored in a row selected with :data:`NODE_COLUMNS`."""
    return construct_trusted(
        ModelRegistrationProjection,
        {
            "node_id": UUID(row[0]),
            "node_name": row[1],
            "state": EnumRegistrationState(row[2]),
            "node_type": EnumNodeKind(row[3]),
            "node_version": row[4],
            "epoch": row[5],
            "capabilities": _loads(row[6]),
            "endpoints": _loads(row[7]),
            "registered_at": from_db_micros(row[8]),
            "last_heartbeat_at": _opt_time(row[9]),
            "liveness_deadline": _opt_time(row[10]),
            "last_introspection_at": _opt_time(row[11]),
            "updated_at": from_db_micros(row[12]),
        },
    )


def event_params(event: ModelLifecycleEvent) -> tuple[Any, ...]:
    """Parameters of :data:`INSERT_EVENT` for ``event``."""
    return (
        str(event.event_id),
        event.event_type.value,
        event.topic,
        str(event.node_id),
        str(event.causation_id),
        str(event.correlation_id),
        to_db_micros(event.emitted_at),
        _dumps(event.data),
    )


def event_from_row(row: tuple[Any, ...]) -> ModelLifecycleEvent:
    """The event stored in a row selected with ``sequence, `` + :data:`EVENT_COLUMNS`."""
    return construct_trusted(
        ModelLifecycleEvent,
        {
            "event_id": UUID(row[1]),
            "event_type": EnumLifecycleEventType(row[2]),
            "topic": row[3],
            "node_id": UUID(row[4]),
            "causation_id": UUID(row[5]),
            "correlation_id": UUID(row[6]),
            "emitted_at": from_db_micros(row[7]),
            "data": _loads(row[8]),
            "sequence": row[0],
        },
    )


def dead_letter_params(letter: ModelDeadLetter) -> tuple[Any, ...]:
    """Parameters of :data:`INSERT_DEAD_LETTER` for ``letter``."""
    return (
        str(letter.dead_letter_id),
        None if letter.envelope_id is None else str(letter.envelope_id),
        letter.reason.value,
        letter.detail,
        letter.source,
        letter.line_number,
        letter.raw,
        to_db_micros(letter.recorded_at),
        int(letter.raw_escaped),
    )


def dead_letter_from_row(row: tuple[Any, ...]) -> ModelDeadLetter:
    """The dead letter stored in a row selected with :data:`DEAD_LETTER_COLUMNS`."""
    return construct_trusted(
        ModelDeadLetter,
        {
            "dead_letter_id": UUID(row[0]),
            "envelope_id": None if row[1] is None else UUID(row[1]),
            "reason": EnumDeadLetterReason(row[2]),
            "detail": row[3],
            "source": row[4],
            "line_number": row[5],
            "raw": row[6],
            "recorded_at": from_db_micros(row[7]),
            "raw_escaped": bool(row[8]),
        },
    )
