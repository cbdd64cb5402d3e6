"""How bus messages are named on NATS: subjects, per-partition streams, ack replies.

- A message on ``topic`` for node ``node_id`` in partition ``k`` of ``P`` has the subject
  ``<topic>.<k>.<node_id>`` with ``k = partition_hash(node_id) % P``: the stores' own
  partition hash (CRC-32 of the canonical node id), not the server's ``partition()``
  transform (FNV-1a), so a partition of the bus is a partition of the store.
- A message addressed to a partition without a key (a tick sent to every partition) has the
  subject ``<topic>.<k>._``.
- Partition ``k`` of the bus stream ``S`` is the JetStream stream ``S-k``, capturing
  ``<topic>.<k>.*`` for each of the stream's topics: one ordered log per partition, across
  topics, on every server version.
"""

from __future__ import annotations

import functools
from typing import NamedTuple
from uuid import UUID

from omnibase_core.bus.bus_checks import invalid
from omnibase_infra.models.model_partition import partition_hash

#: The last subject token of a message that has no key.
NO_KEY_TOKEN = "_"


@functools.lru_cache(maxsize=65_536)
def node_key(key: str) -> tuple[str, int]:
    """``(canonical node id, partition hash)`` of a key; keys on NATS are node ids (UUIDs).

    Raises ``ModelOnexError(INVALID_PARAMETER)`` for a key that is not a UUID. Cached: a
    producer sends many messages about the same nodes.
    """
    try:
        node_id = UUID(key)
    except ValueError:
        raise invalid(
            f"partition key {key!r} is not a UUID: on NATS a message's key is the node id it "
            "is about (it becomes the last token of the subject)",
            key=key,
        ) from None
    return str(node_id), partition_hash(node_id)


def subject_for(topic: str, partition: int, key: str | None) -> str:
    """The subject of a message (``key`` already canonical, ``None`` for no key)."""
    return f"{topic}.{partition}.{key if key is not None else NO_KEY_TOKEN}"


def partition_stream_name(stream: str, partition: int) -> str:
    """The JetStream stream holding partition ``partition`` of the bus stream ``stream``."""
    return f"{stream}-{partition}"


def partition_stream_subjects(topics: tuple[str, ...], partition: int) -> list[str]:
    """The subjects partition ``partition``'s JetStream stream captures."""
    return [f"{topic}.{partition}.*" for topic in topics]


class AckReply(NamedTuple):
    """What a JetStream delivery's reply subject says about it."""

    stream: str
    delivery_count: int
    stream_sequence: int


def parse_ack_reply(reply: str) -> AckReply:
    """Parse ``$JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>``.

    Also accepts the longer form with a domain and account hash after ``$JS.ACK``. Raises
    ``ValueError`` for anything else.
    """
    tokens = reply.split(".")
    if len(tokens) == 9:
        offset = 2
    elif len(tokens) >= 11:
        offset = 4
    else:
        raise ValueError(f"not a JetStream ack reply subject: {reply!r}")
    if tokens[0] != "$JS" or tokens[1] != "ACK":
        raise ValueError(f"not a JetStream ack reply subject: {reply!r}")
    return AckReply(tokens[offset], int(tokens[offset + 2]), int(tokens[offset + 3]))


def split_subject(subject: str) -> tuple[str, int, str | None]:
    """``(topic, partition, key)`` of a message subject; ``key`` is ``None`` for no key.

    Raises ``ValueError`` for a subject not of the form ``<topic>.<k>.<key>``.
    """
    topic, partition, key = subject.rsplit(".", 2)
    return topic, int(partition), None if key == NO_KEY_TOKEN else key
