"""ModelPartition: parsing ``I/N`` specs, ownership by CRC-32 of the node id, the clock key."""

from __future__ import annotations

import zlib
from uuid import NAMESPACE_DNS, UUID

import pytest
from pydantic import ValidationError

from omnibase_core.enums import EnumCoreErrorCode
from omnibase_core.models.errors import ModelOnexError
from omnibase_infra.models import ModelPartition, partition_hash

NODE_IDS = [UUID(int=n) for n in range(1, 9)] + [NAMESPACE_DNS]


@pytest.mark.parametrize(
    ("spec", "index", "count"),
    [("0/1", 0, 1), ("1/2", 1, 2), (" 3 / 4 ", 3, 4), ("999999/1000000", 999_999, 1_000_000)],
)
def test_parse_valid_spec(spec: str, index: int, count: int) -> None:
    partition = ModelPartition.parse(spec)
    assert (partition.index, partition.count) == (index, count)
    assert partition.key == f"{index}/{count}"


@pytest.mark.parametrize(
    "spec",
    ["", "1", "2/2", "3/2", "0/0", "1/0", "-1/2", "a/b", "0/2/4", "0.5/2", "0/1000001"],
)
def test_parse_invalid_spec_names_spec_and_form(spec: str) -> None:
    with pytest.raises(ModelOnexError) as info:
        ModelPartition.parse(spec)
    assert info.value.error_code is EnumCoreErrorCode.INVALID_PARAMETER
    assert info.value.context == {"partition": spec}
    assert repr(spec) in info.value.message
    assert "I/N" in info.value.message
    assert "0 <= I < N <= 1000000" in info.value.message
    assert "e.g. 0/2" in info.value.message


def test_default_partition_is_the_single_one() -> None:
    partition = ModelPartition()
    assert (partition.index, partition.count, partition.key) == (0, 1, "0/1")
    assert all(partition.owns(node_id) for node_id in NODE_IDS)


@pytest.mark.parametrize(
    "fields",
    [{"index": 2, "count": 2}, {"index": -1, "count": 2}, {"count": 0}, {"count": 1_000_001}],
)
def test_constructor_rejects_out_of_range(fields: dict[str, int]) -> None:
    with pytest.raises(ValidationError):
        ModelPartition(**fields)


def test_partition_is_frozen_and_forbids_extra_fields() -> None:
    with pytest.raises(ValidationError):
        ModelPartition.parse("0/2").index = 1  # type: ignore[misc]
    with pytest.raises(ValidationError, match="shard"):
        ModelPartition.model_validate({"index": 0, "count": 2, "shard": 1})


@pytest.mark.parametrize("node_id", NODE_IDS)
def test_partition_hash_is_crc32_of_canonical_text(node_id: UUID) -> None:
    assert partition_hash(node_id) == zlib.crc32(str(node_id).lower().encode("ascii"))


def test_partition_hash_known_vector() -> None:
    # The producer side partitions with the same function; a fixed vector pins the choice of
    # text form (lower-case hyphenated, not upper case, hex or raw bytes).
    assert str(NAMESPACE_DNS) == "6ba7b810-9dad-11d1-80b4-00c04fd430c8"
    assert partition_hash(NAMESPACE_DNS) == 1_364_237_958
    assert partition_hash(NAMESPACE_DNS) != zlib.crc32(str(NAMESPACE_DNS).upper().encode())
    assert partition_hash(NAMESPACE_DNS) != zlib.crc32(NAMESPACE_DNS.bytes)
    assert partition_hash(UUID(int=1)) == 4_132_891_167


@pytest.mark.parametrize(
    ("node_id", "owner"),
    [
        (UUID(int=1), 3),
        (UUID(int=2), 1),
        (UUID(int=4), 0),
        (UUID(int=5), 2),
        (NAMESPACE_DNS, 2),
    ],
)
def test_owns_known_nodes(node_id: UUID, owner: int) -> None:
    owners = [index for index in range(4) if ModelPartition(index=index, count=4).owns(node_id)]
    assert owners == [owner]


@pytest.mark.parametrize("count", [2, 3, 7])
def test_every_node_has_exactly_one_owner(count: int) -> None:
    partitions = [ModelPartition(index=index, count=count) for index in range(count)]
    for node_id in NODE_IDS:
        owners = [p.index for p in partitions if p.owns(node_id)]
        assert owners == [partition_hash(node_id) % count]
