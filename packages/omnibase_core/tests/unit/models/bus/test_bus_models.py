"""The bus models refuse what no bus could carry, with the offending value named."""

from __future__ import annotations

import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from omnibase_core.enums import EnumCoreErrorCode
from omnibase_core.models.bus import (
    ModelBusMessage,
    ModelBusPartition,
    ModelBusStreamSettings,
    ModelBusUnavailableError,
    ModelEventBusSettings,
)

TOKEN = st.text(alphabet="abcXYZ019_-", min_size=1, max_size=8)
TOPIC = st.lists(TOKEN, min_size=1, max_size=5).map(".".join)


@given(topics=st.lists(TOPIC, min_size=1, max_size=6, unique=True))
def test_dotted_token_topics_are_accepted(topics: list[str]) -> None:
    settings = ModelBusStreamSettings(name="s", topics=tuple(topics))
    assert settings.topics == tuple(topics)


@given(
    topic=TOPIC,
    bad=st.sampled_from(["*", ">", " ", "", "\t", "é", "a b"]),
    where=st.sampled_from(["start", "end", "token"]),
)
def test_wildcards_spaces_and_empty_tokens_are_refused(topic: str, bad: str, where: str) -> None:
    broken = {"start": f"{bad}.{topic}", "end": f"{topic}.{bad}", "token": f"{topic}{bad}"}[where]
    if broken == topic:
        return
    with pytest.raises(ValidationError, match="dot-separated tokens"):
        ModelBusStreamSettings(name="s", topics=(broken,))


def test_a_topic_listed_twice_or_in_two_streams_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"listed more than once: a\.b"):
        ModelBusStreamSettings(name="s", topics=("a.b", "a.b"))
    one = ModelBusStreamSettings(name="one", topics=("a.b",))
    two = ModelBusStreamSettings(name="two", topics=("c", "a.b"))
    with pytest.raises(ValidationError, match=r"'a\.b' is in both streams 'one' and 'two'"):
        ModelEventBusSettings(streams=(one, two))
    with pytest.raises(ValidationError, match="stream names listed more than once: one"):
        ModelEventBusSettings(streams=(one, one.model_copy(update={"topics": ("x",)})))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "has.dot"),
        ("name", ""),
        ("partitions", 0),
        ("partitions", 4097),
        ("max_batch", 0),
        ("ack_wait_seconds", 0),
        ("duplicate_window_seconds", -1),
        ("group", "a b"),
    ],
)
def test_stream_settings_out_of_range_are_refused(field: str, value: object) -> None:
    with pytest.raises(ValidationError) as caught:
        ModelBusStreamSettings.model_validate({"name": "s", "topics": ["t"], field: value})
    assert caught.value.errors()[0]["loc"] == (field,)


def test_settings_find_streams_by_name_and_topic() -> None:
    one = ModelBusStreamSettings(name="one", topics=("a", "b"))
    settings = ModelEventBusSettings(streams=(one,))
    assert settings.stream("one") is one
    assert settings.stream("two") is None
    assert settings.stream_of_topic("b") is one
    assert settings.stream_of_topic("c") is None


def test_partitions_print_sort_and_hash() -> None:
    a0 = ModelBusPartition(stream="a", index=0)
    a2 = ModelBusPartition(stream="a", index=2)
    b1 = ModelBusPartition(stream="b", index=1)
    assert str(a2) == "a/2"
    assert sorted([b1, a2, a0]) == [a0, a2, b1]
    assert {a0, ModelBusPartition(stream="a", index=0)} == {a0}
    with pytest.raises(ValidationError):
        ModelBusPartition(stream="a", index=-1)


def test_a_message_knows_its_partition_and_whether_it_was_redelivered() -> None:
    message = ModelBusMessage(
        stream="s", partition=3, topic="t", key=None, value=b"", sequence=9, delivery_count=2
    )
    assert message.partition_ref == ModelBusPartition(stream="s", index=3)
    assert message.redelivered


def test_unavailable_error_is_retryable_and_survives_pickling() -> None:
    error = ModelBusUnavailableError("no broker", context={"url": "nats://h:1"}, retryable=False)
    copy = pickle.loads(pickle.dumps(error))
    assert isinstance(copy, ModelBusUnavailableError)
    assert copy.error_code == EnumCoreErrorCode.CONFIGURATION_ERROR
    assert copy.retryable is False
    assert dict(copy.context) == {"url": "nats://h:1", "retryable": False}
    assert str(copy) == "ONEX_CORE_CONFIGURATION_ERROR: no broker"
