"""A bus stream: a set of topics carried by one partitioned, ordered log."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

#: Stream and consumer-group names: letters, digits, ``_`` and ``-`` (valid as NATS stream and
#: consumer names and as Kafka topic and group names).
STREAM_NAME_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
#: A topic: dot-separated tokens of letters, digits, ``_`` and ``-``. No wildcards, no empty
#: token: a topic is a prefix of message subjects and a Kafka topic name at once.
TOPIC_PATTERN = r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$"
_TOPIC = re.compile(TOPIC_PATTERN)

#: The largest partition count a stream may have.
MAX_PARTITIONS = 4096
#: The largest batch (and so the largest number of unacknowledged messages per partition).
MAX_BATCH = 10_000

Topic = Annotated[str, StringConstraints(max_length=200)]


class ModelBusStreamSettings(BaseModel):
    """What a bus needs to know about one stream, for producers and consumers alike.

    - ``topics``: every topic the stream carries. A partition's log holds the messages of all
      of them in publish order, so one consumer sees a key's messages in order across topics.
    - ``partitions``: ``P``; a keyed message goes to partition ``hash(key) % P``. Fixed for the
      stream's life: changing it moves keys between partitions.
    - ``group``: the consumer group; each group reads every partition independently.
    - ``max_batch``: the most messages one fetch returns, and the most messages of a partition
      that may be delivered and not yet acknowledged (``max_ack_pending``). Equal on purpose:
      acknowledging through the last message of a batch can then never cover a message that
      was delivered elsewhere and not yet committed.
    - ``ack_wait_seconds``: a delivered message not acknowledged (nor kept alive with
      ``in_progress``) within this time is delivered again.
    - ``duplicate_window_seconds``: a publish whose idempotency id was already stored within
      this window is not stored again.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=STREAM_NAME_PATTERN)
    topics: tuple[Topic, ...] = Field(min_length=1)
    partitions: int = Field(default=1, ge=1, le=MAX_PARTITIONS)
    group: str = Field(default="onex", pattern=STREAM_NAME_PATTERN)
    max_batch: int = Field(default=256, ge=1, le=MAX_BATCH)
    ack_wait_seconds: float = Field(default=30.0, gt=0, le=86_400)
    duplicate_window_seconds: float = Field(default=120.0, gt=0, le=86_400 * 7)

    @field_validator("topics")
    @classmethod
    def _valid_unique_topics(cls, topics: tuple[str, ...]) -> tuple[str, ...]:
        for topic in topics:
            if not _TOPIC.match(topic):
                raise ValueError(
                    f"topic {topic!r} is not dot-separated tokens of letters, digits, '_' and "
                    "'-' (no wildcards, no empty token)"
                )
        duplicates = sorted({t for t in topics if topics.count(t) > 1})
        if duplicates:
            raise ValueError(f"topics listed more than once: {', '.join(duplicates)}")
        return topics
