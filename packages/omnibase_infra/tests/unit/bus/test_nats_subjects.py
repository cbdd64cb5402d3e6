"""Subjects, partition streams and ack replies on NATS: the partition is the store's."""

from __future__ import annotations

from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from omnibase_core.enums import EnumCoreErrorCode
from omnibase_core.models.errors import ModelOnexError
from omnibase_infra.bus.nats_subjects import (
    node_key,
    parse_ack_reply,
    partition_stream_name,
    partition_stream_subjects,
    split_subject,
    subject_for,
)
from omnibase_infra.models import ModelPartition, partition_hash


@given(node=st.uuids(), count=st.integers(min_value=1, max_value=1024), upper=st.booleans())
def test_a_node_goes_to_the_partition_the_store_gives_it(
    node: UUID, count: int, upper: bool
) -> None:
    """Whatever the id's spelling, the key is canonical and its partition is the one
    ``ModelPartition`` owns it in."""
    spelled = str(node).upper() if upper else str(node)
    canonical, hashed = node_key(spelled)
    assert canonical == str(node)
    assert hashed == partition_hash(node)
    assert ModelPartition(index=hashed % count, count=count).owns(node)


@given(node=st.uuids(), partition=st.integers(0, 4095), topic=st.sampled_from(["a", "x.y-z.v1"]))
def test_a_subject_splits_back_into_what_made_it(node: UUID, partition: int, topic: str) -> None:
    subject = subject_for(topic, partition, str(node))
    assert subject == f"{topic}.{partition}.{node}"
    assert split_subject(subject) == (topic, partition, str(node))
    assert split_subject(subject_for(topic, partition, None)) == (topic, partition, None)


@pytest.mark.parametrize("key", ["node-1", "", "4c2e", "not a uuid at all"])
def test_a_key_that_is_not_a_node_id_is_refused(key: str) -> None:
    with pytest.raises(ModelOnexError) as caught:
        node_key(key)
    assert caught.value.error_code == EnumCoreErrorCode.INVALID_PARAMETER
    assert "not a UUID" in caught.value.message


def test_partition_streams_capture_their_partition_of_every_topic() -> None:
    assert partition_stream_name("REG", 3) == "REG-3"
    assert partition_stream_subjects(("a.b", "c"), 3) == ["a.b.3.*", "c.3.*"]


def test_ack_replies_in_both_forms_are_read_and_others_refused() -> None:
    short = parse_ack_reply("$JS.ACK.REG-0.onex.2.41.57.1796141346661549472.3")
    assert (short.stream, short.delivery_count, short.stream_sequence) == ("REG-0", 2, 41)
    long = parse_ack_reply("$JS.ACK.hub.ACCHASH.REG-0.onex.1.7.9.1796141346661549472.0.tok")
    assert (long.stream, long.delivery_count, long.stream_sequence) == ("REG-0", 1, 7)
    for bad in ("_INBOX.abc", "$JS.ACK.x.y", "$JS.NAK.a.b.1.2.3.4.5"):
        with pytest.raises(ValueError, match="not a JetStream ack reply"):
            parse_ack_reply(bad)
