"""Row <-> model conversion and the statements of the PostgreSQL registration store.

Writes are sent as column arrays (``unnest``) so a batch costs one statement per table; the
``*_columns`` functions build those arrays. Every array is sent as a binary parameter (``%b``:
nothing to quote, escape or parse); texts and ids through :mod:`postgres_arrays`, whose
encoder refuses a NUL before anything is sent, as psycopg's text encoder does. JSON documents
are kept as the exact text written (``text`` columns, not ``jsonb``). Models are rebuilt from
rows without validation (:mod:`omnibase_infra.models.trusted_models`): every value was
validated before this store wrote it, and the driver returns each column as its declared type
(``uuid`` as ``UUID``, ``timestamptz`` as an aware ``datetime``, ``bigint`` as ``int``), so the
result equals the validated model without paying for validation again.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Sequence
from typing import Any, NamedTuple
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
from omnibase_infra.stores.json_text import ENCODE_ERRORS as ENCODE_ERRORS
from omnibase_infra.stores.json_text import dumps as dumps
from omnibase_infra.stores.postgres_arrays import text_array, uuid_array

loads = json.loads
MIGRATION_LOCK = zlib.crc32(b"omnibase_infra.registration.migrate")
"""Key of the advisory lock that serialises migrations across processes."""
OUTBOX_LOCK = zlib.crc32(b"omnibase_infra.registration.outbox")
"""Key of the advisory lock held from a transaction's outbox insert to its commit, so that
outbox ``sequence`` order is commit order: a reader paging by sequence never skips an event
that commits later with a smaller sequence."""
NODE_LOCKS = 1_001
CLOCK_LOCKS = 1_002
#: Advisory-lock namespace of a keyed JSON record that does not exist yet.
RECORD_LOCKS = 1_003
GET_RECORD = "SELECT document FROM records WHERE kind = %s AND key = %s FOR UPDATE"
PUT_RECORD = (
    "INSERT INTO records (kind, key, document) VALUES (%s, %s, %s) "
    "ON CONFLICT (kind, key) DO UPDATE SET document = EXCLUDED.document"
)
LIST_RECORDS = 'SELECT key, document FROM records WHERE kind = %s ORDER BY key COLLATE "C"'
"""Advisory lock namespaces (first key of the two-key form) for rows that do not exist yet."""

NODE_COLUMNS = (
    "node_id, node_name, state, node_type, node_version, epoch, capabilities, endpoints, "
    "registered_at, last_heartbeat_at, liveness_deadline, last_introspection_at, updated_at"
)
SELECT_NODE = f"SELECT {NODE_COLUMNS} FROM nodes WHERE node_id = %s FOR UPDATE"
LOCK_KEY = "SELECT pg_advisory_xact_lock(%s, hashtext(%s))"

UPSERT_NODES = """
INSERT INTO nodes (node_id, partition_hash, node_name, state, node_type, node_version, epoch,
                   capabilities, endpoints, registered_at, last_heartbeat_at, liveness_deadline,
                   last_introspection_at, updated_at)
SELECT n.node_id, n.partition_hash, n.node_name, n.state, n.node_type, n.node_version, n.epoch,
       n.capabilities, n.endpoints, n.registered_at, n.last_heartbeat_at,
       n.liveness_deadline, n.last_introspection_at, n.updated_at
FROM unnest(%b::uuid[], %b::bigint[], %b::text[], %b::text[], %b::text[], %b::text[],
            %b::bigint[], %b::text[], %b::text[], %b::timestamptz[], %b::timestamptz[],
            %b::timestamptz[], %b::timestamptz[], %b::timestamptz[])
     AS n(node_id, partition_hash, node_name, state, node_type, node_version, epoch,
          capabilities, endpoints, registered_at, last_heartbeat_at, liveness_deadline,
          last_introspection_at, updated_at)
ON CONFLICT (node_id) DO UPDATE SET
    node_name = EXCLUDED.node_name, state = EXCLUDED.state, node_type = EXCLUDED.node_type,
    node_version = EXCLUDED.node_version, epoch = EXCLUDED.epoch,
    capabilities = EXCLUDED.capabilities, endpoints = EXCLUDED.endpoints,
    registered_at = EXCLUDED.registered_at, last_heartbeat_at = EXCLUDED.last_heartbeat_at,
    liveness_deadline = EXCLUDED.liveness_deadline,
    last_introspection_at = EXCLUDED.last_introspection_at, updated_at = EXCLUDED.updated_at
"""
UPSERT_REQUESTS = """
INSERT INTO introspection_requests (node_id, requested_at)
SELECT * FROM unnest(%b::uuid[], %b::timestamptz[])
ON CONFLICT (node_id) DO UPDATE SET requested_at = EXCLUDED.requested_at
"""
UPSERT_CLOCKS = """
INSERT INTO tick_clocks (partition_key, tick_now)
SELECT * FROM unnest(%b::text[], %b::timestamptz[])
ON CONFLICT (partition_key) DO UPDATE SET tick_now = EXCLUDED.tick_now
"""
INSERT_EVENTS = """
INSERT INTO outbox (event_id, event_type, topic, node_id, causation_id, correlation_id,
                    emitted_at, data)
SELECT e.event_id, e.event_type, e.topic, e.node_id, e.causation_id, e.correlation_id,
       e.emitted_at, e.data
FROM unnest(%b::uuid[], %b::text[], %b::text[], %b::uuid[], %b::uuid[], %b::uuid[],
            %b::timestamptz[], %b::text[]) WITH ORDINALITY
     AS e(event_id, event_type, topic, node_id, causation_id, correlation_id, emitted_at, data,
          position)
ORDER BY e.position
"""
INSERT_DEAD_LETTERS = """
INSERT INTO dead_letters (dead_letter_id, envelope_id, reason, detail, source, line_number, raw,
                          recorded_at, raw_escaped)
SELECT d.dead_letter_id, d.envelope_id, d.reason, d.detail, d.source, d.line_number, d.raw,
       d.recorded_at, d.raw_escaped
FROM unnest(%b::uuid[], %b::uuid[], %b::text[], %b::text[], %b::text[], %b::bigint[],
            %b::text[], %b::timestamptz[], %b::boolean[]) WITH ORDINALITY
     AS d(dead_letter_id, envelope_id, reason, detail, source, line_number, raw, recorded_at,
          raw_escaped, position)
ORDER BY d.position
ON CONFLICT (dead_letter_id) DO NOTHING
"""
INSERT_INBOX = """
INSERT INTO inbox (envelope_id, outcome, reason, processed_at)
SELECT * FROM unnest(%b::uuid[], %b::text[], %b::text[], %b::timestamptz[])
ON CONFLICT (envelope_id) DO NOTHING
RETURNING envelope_id
"""

SELECT_EVENTS_PAGE = (
    "SELECT sequence, event_id, event_type, topic, node_id, causation_id, "
    "correlation_id, emitted_at, data FROM outbox WHERE sequence > %s "
    "ORDER BY sequence LIMIT %s"
)
SELECT_DEAD_LETTERS = (
    "SELECT dead_letter_id, envelope_id, reason, detail, source, line_number, raw, "
    "recorded_at, raw_escaped FROM dead_letters ORDER BY seq"
)


class NodeDocuments(NamedTuple):
    """A node's two JSON documents as last read from its row, and its partition hash: what
    reading or writing the row again need not recompute while the row keeps these texts.

    Per document: the text the row held, the value parsed from it, and the text this store
    writes for that value (``None`` when it cannot write it, so a write raises as ever).
    """

    capabilities_text: str
    capabilities: Any
    capabilities_written: str | None
    endpoints_text: str
    endpoints: Any
    endpoints_written: str | None
    partition_hash: int | None


#: Nodes remembered by a :data:`NodeMemo` before it starts over (bounds its memory).
NODE_MEMO_LIMIT = 10_000
#: Documents longer than this together (characters of both texts) are parsed and encoded on
#: every use, not remembered: the memo's memory stays bounded whatever the documents' size,
#: and a large document's cost is its size either way.
MEMO_TEXT_LIMIT = 1_024
NodeMemo = dict[UUID, NodeDocuments]
"""Per node id, its :class:`NodeDocuments`. A read reuses a remembered value only when the
row holds the very text it was parsed from, so whatever wrote the row, a read returns what
parsing the row returns. A write reuses a remembered written text only for the very value
parsed (documents are never changed in place: rows derived from a row share its documents),
so it writes what encoding the value writes.
"""


#: Enum members by stored value (a lookup, not an enum call, per row).
_STATES = {member.value: member for member in EnumRegistrationState}
_KINDS = {member.value: member for member in EnumNodeKind}


def node_from_row(row: Sequence[Any], memo: NodeMemo | None = None) -> ModelRegistrationProjection:
    """The projection of a row selected with :data:`NODE_COLUMNS`; with ``memo``, documents
    whose text the node's row held when last read are not parsed again (and are shared)."""
    if memo is None:
        capabilities, endpoints = loads(row[6]), loads(row[7])
    else:
        capabilities, endpoints = _remembered_documents(row, memo)
    return construct_trusted(
        ModelRegistrationProjection,
        {
            "node_id": row[0],
            "node_name": row[1],
            "state": _STATES.get(row[2]) or EnumRegistrationState(row[2]),
            "node_type": _KINDS.get(row[3]) or EnumNodeKind(row[3]),
            "node_version": row[4],
            "epoch": row[5],
            "capabilities": capabilities,
            "endpoints": endpoints,
            "registered_at": row[8],
            "last_heartbeat_at": row[9],
            "liveness_deadline": row[10],
            "last_introspection_at": row[11],
            "updated_at": row[12],
        },
    )


def _remembered_documents(row: Sequence[Any], memo: NodeMemo) -> tuple[Any, Any]:
    """The row's capabilities and endpoints, parsed only if their text is not the one
    ``memo`` holds for the node; ``memo`` then remembers the new ones."""
    known = memo.get(row[0])
    capabilities_text, endpoints_text = row[6], row[7]
    if (
        known is not None
        and capabilities_text == known.capabilities_text
        and endpoints_text == known.endpoints_text
    ):
        return known.capabilities, known.endpoints
    capabilities, endpoints = loads(capabilities_text), loads(endpoints_text)
    if len(capabilities_text) + len(endpoints_text) > MEMO_TEXT_LIMIT:
        if known is not None:
            del memo[row[0]]
        return capabilities, endpoints
    if len(memo) >= NODE_MEMO_LIMIT and known is None:
        memo.clear()
    memo[row[0]] = NodeDocuments(
        capabilities_text,
        capabilities,
        _written(capabilities),
        endpoints_text,
        endpoints,
        _written(endpoints),
        None if known is None else known.partition_hash,
    )
    return capabilities, endpoints


def _written(document: Any) -> str | None:
    """The text this store writes for ``document``, ``None`` when it cannot write it."""
    try:
        return dumps(document)
    except ENCODE_ERRORS:
        return None


def event_from_row(row: Sequence[Any]) -> ModelLifecycleEvent:
    """The event of a row selected with :data:`SELECT_EVENTS_PAGE`."""
    return construct_trusted(
        ModelLifecycleEvent,
        {
            "sequence": row[0],
            "event_id": row[1],
            "event_type": EnumLifecycleEventType(row[2]),
            "topic": row[3],
            "node_id": row[4],
            "causation_id": row[5],
            "correlation_id": row[6],
            "emitted_at": row[7],
            "data": loads(row[8]),
        },
    )


def dead_letter_from_row(row: Sequence[Any]) -> ModelDeadLetter:
    """The dead letter of a row selected with :data:`SELECT_DEAD_LETTERS`."""
    return construct_trusted(
        ModelDeadLetter,
        {
            "dead_letter_id": row[0],
            "envelope_id": row[1],
            "reason": EnumDeadLetterReason(row[2]),
            "detail": row[3],
            "source": row[4],
            "line_number": row[5],
            "raw": row[6],
            "recorded_at": row[7],
            "raw_escaped": row[8],
        },
    )


def node_columns(
    nodes: Sequence[ModelRegistrationProjection], memo: NodeMemo | None = None
) -> tuple[list[Any], ...]:
    """The parameters of :data:`UPSERT_NODES` for ``nodes``; raises what ``dumps`` raises.

    With ``memo``, a document that is the very object last read from the node's row is
    written as the text it was read from, and the partition hash is computed once per node.
    """
    documents = [_written_documents(n, memo) for n in nodes]
    return (
        uuid_array([n.node_id for n in nodes]),
        [d[2] for d in documents],
        text_array([n.node_name for n in nodes]),
        text_array([EnumRegistrationState(n.state).value for n in nodes]),
        text_array([EnumNodeKind(n.node_type).value for n in nodes]),
        text_array([n.node_version for n in nodes]),
        [n.epoch for n in nodes],
        text_array([d[0] for d in documents]),
        text_array([d[1] for d in documents]),
        [n.registered_at for n in nodes],
        [n.last_heartbeat_at for n in nodes],
        [n.liveness_deadline for n in nodes],
        [n.last_introspection_at for n in nodes],
        [n.updated_at for n in nodes],
    )


def _written_documents(
    node: ModelRegistrationProjection, memo: NodeMemo | None
) -> tuple[str, str, int]:
    """The node's capabilities text, endpoints text and partition hash for its row."""
    known = None if memo is None else memo.get(node.node_id)
    if memo is None or known is None:
        return dumps(node.capabilities), dumps(node.endpoints), partition_hash(node.node_id)
    capabilities = known.capabilities_written
    if capabilities is None or node.capabilities is not known.capabilities:
        capabilities = dumps(node.capabilities)
    endpoints = known.endpoints_written
    if endpoints is None or node.endpoints is not known.endpoints:
        endpoints = dumps(node.endpoints)
    partition = known.partition_hash
    if partition is None:
        partition = partition_hash(node.node_id)
        memo[node.node_id] = known._replace(partition_hash=partition)
    return capabilities, endpoints, partition


def event_columns(events: Sequence[ModelLifecycleEvent]) -> tuple[list[Any], ...]:
    """The parameters of :data:`INSERT_EVENTS` for ``events``; raises what ``dumps`` raises."""
    return (
        uuid_array([e.event_id for e in events]),
        text_array([e.event_type.value for e in events]),
        text_array([e.topic for e in events]),
        uuid_array([e.node_id for e in events]),
        uuid_array([e.causation_id for e in events]),
        uuid_array([e.correlation_id for e in events]),
        [e.emitted_at for e in events],
        text_array([dumps(e.data) for e in events]),
    )


def dead_letter_columns(letters: Sequence[ModelDeadLetter]) -> tuple[list[Any], ...]:
    """The parameters of :data:`INSERT_DEAD_LETTERS` for ``letters``."""
    return (
        uuid_array([d.dead_letter_id for d in letters]),
        uuid_array([d.envelope_id for d in letters]),
        text_array([d.reason.value for d in letters]),
        text_array([d.detail for d in letters]),
        text_array([d.source for d in letters]),
        [d.line_number for d in letters],
        text_array([d.raw for d in letters]),
        [d.recorded_at for d in letters],
        [d.raw_escaped for d in letters],
    )
