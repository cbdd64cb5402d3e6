"""Leases, fencing and the relay cursor: the same behaviour on every store.

One lease manager per store here (a SQLite database admits only one); what needs two
processes on one database lives in the PostgreSQL and SQLite lease modules.
"""

from __future__ import annotations

from typing import Any

import pytest

from omnibase_core.enums import EnumCoreErrorCode
from omnibase_core.models.errors import ModelOnexError
from omnibase_infra.stores import ModelLeaseLostError, ProtocolRegistrationStore


def test_a_lease_is_taken_with_a_token_and_kept_until_released(
    store: ProtocolRegistrationStore,
) -> None:
    with store.open_leases("host:1:a") as leases:
        assert leases.owner == "host:1:a"
        assert leases.members() == 1
        first = leases.try_acquire("onex-registration/0")
        assert first is not None
        assert leases.try_acquire("onex-registration/0") == first
        relay = leases.try_acquire("relay")
        assert leases.held() == {"onex-registration/0": first, "relay": relay}
        assert leases.verify() == frozenset()
        leases.release("onex-registration/0")
        leases.release("onex-registration/0")
        assert dict(leases.held()) == {"relay": relay}


def test_tokens_strictly_increase_across_takeovers(store: ProtocolRegistrationStore) -> None:
    tokens = []
    for owner in ("a", "b", "a", "c"):
        with store.open_leases(owner) as leases:
            token = leases.try_acquire("onex-registration/3")
            assert token is not None
            tokens.append(token)
            leases.release("onex-registration/3")
            again = leases.try_acquire("onex-registration/3")
            assert again is not None
            assert again > token
            tokens.append(again)
    assert tokens == sorted(set(tokens))
    assert len(tokens) == 8


def test_a_batch_under_the_current_token_commits(store: ProtocolRegistrationStore) -> None:
    with store.open_leases("a") as leases:
        token = leases.try_acquire("p/1")
        assert token is not None
        with store.transaction() as txn:
            txn.check_lease("p/1", token)
            txn.put_record("ledger", "k", {"n": 1})
    assert store.list_records("ledger") == [("k", {"n": 1})]


def test_a_batch_under_an_old_token_raises_and_commits_nothing(
    store: ProtocolRegistrationStore,
) -> None:
    with store.open_leases("zombie") as leases:
        old = leases.try_acquire("p/1")
    assert old is not None
    with store.open_leases("successor") as leases:
        new = leases.try_acquire("p/1")
    assert new is not None
    assert new > old

    def zombie_batch() -> None:
        with store.transaction() as txn:
            txn.put_record("ledger", "before", {"n": 1})
            txn.check_lease("p/1", old)
            txn.put_record("ledger", "after", {"n": 2})

    with pytest.raises(ModelLeaseLostError) as caught:
        zombie_batch()
    error = caught.value
    assert error.error_code is EnumCoreErrorCode.INVALID_STATE
    assert (error.lease, error.token, error.current_token) == ("p/1", old, new)
    for part in ("'p/1'", f"token {old}", f"token {new}", "rolled back", "not acknowledged"):
        assert part in error.message
    assert store.list_records("ledger") == []


def test_check_lease_of_a_lease_never_taken_raises(store: ProtocolRegistrationStore) -> None:
    with pytest.raises(ModelLeaseLostError, match="no such lease"), store.transaction() as txn:
        txn.check_lease("never", 1)


def test_the_relay_cursor_moves_forward_under_its_lease_only(
    store: ProtocolRegistrationStore,
) -> None:
    assert store.relay_cursor("relay") == 0
    with store.open_leases("a") as leases:
        token = leases.try_acquire("relay")
        assert token is not None
        store.advance_relay_cursor("relay", 3, token)
        store.advance_relay_cursor("relay", 3, token)
        store.advance_relay_cursor("relay", 7, token)
        with pytest.raises(ModelOnexError, match="cannot move its cursor back from 7 to 2"):
            store.advance_relay_cursor("relay", 2, token)
        leases.release("relay")
        newer = leases.try_acquire("relay")
    assert newer is not None
    with pytest.raises(ModelLeaseLostError, match="'relay' was lost"):
        store.advance_relay_cursor("relay", 9, token)
    assert store.relay_cursor("relay") == 7
    store.advance_relay_cursor("relay", 9, newer)
    assert store.relay_cursor("relay") == 9
    assert store.relay_cursor("other") == 0


BAD_NAMES: list[Any] = ["", "   ", 5, None, "a\x00b", "x" * 201, b"relay"]


@pytest.mark.parametrize("name", BAD_NAMES, ids=repr)
def test_a_bad_lease_name_is_refused_everywhere(
    store: ProtocolRegistrationStore, name: Any
) -> None:
    with store.open_leases("a") as leases:
        for call in (leases.try_acquire, leases.release):
            with pytest.raises(ModelOnexError) as caught:
                call(name)
            assert caught.value.error_code is EnumCoreErrorCode.VALIDATION_ERROR
            assert "lease name" in caught.value.message
        with pytest.raises(ModelOnexError, match="lease name"), store.transaction() as txn:
            txn.check_lease(name, 1)
        with pytest.raises(ModelOnexError, match="lease name"):
            store.relay_cursor(name)
        with pytest.raises(ModelOnexError, match="lease name"):
            store.advance_relay_cursor(name, 1, 1)


@pytest.mark.parametrize("token", [0, -1, True, 1.0, "1", None, 2**63], ids=repr)
def test_a_bad_token_or_sequence_is_refused(store: ProtocolRegistrationStore, token: Any) -> None:
    with (
        pytest.raises(ModelOnexError, match=r"token .* must be a whole number"),
        store.transaction() as txn,
    ):
        txn.check_lease("p/1", token)
    with pytest.raises(ModelOnexError, match=r"token .* must be a whole number"):
        store.advance_relay_cursor("relay", 1, token)
    if token != 0:
        with pytest.raises(ModelOnexError, match=r"sequence .* must be a whole number"):
            store.advance_relay_cursor("relay", token, 1)


@pytest.mark.parametrize("owner", ["", " ", 3, "a\x00"], ids=repr)
def test_a_bad_owner_is_refused(store: ProtocolRegistrationStore, owner: Any) -> None:
    with pytest.raises(ModelOnexError, match="the owner") as caught:
        store.open_leases(owner)
    assert caught.value.error_code is EnumCoreErrorCode.VALIDATION_ERROR


def test_closed_leases_are_refused_and_close_is_idempotent(
    store: ProtocolRegistrationStore,
) -> None:
    leases = store.open_leases("a")
    assert leases.try_acquire("p/0") is not None
    leases.close()
    leases.close()
    assert leases.held() == {}
    for call in (lambda: leases.try_acquire("p/0"), leases.verify, leases.members):
        with pytest.raises(ModelOnexError, match="closed; open new ones") as caught:
            call()
        assert caught.value.error_code is EnumCoreErrorCode.INVALID_STATE
    with store.open_leases("b") as again:
        assert again.try_acquire("p/0") is not None
