"""One masking rule for every URL the infra package names: stores (memory, SQLite,
PostgreSQL) and the NATS bus."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from omnibase_core.models.errors import ModelOnexError
from omnibase_infra.stores import StoreRegistrationSqlite, parse_store_url
from omnibase_infra.stores.store_registration_postgres import StoreRegistrationPostgres
from omnibase_infra.utils import mask_url

_SCHEMES = st.sampled_from(["postgresql", "postgres", "nats", "tls", "sqlite", "mysql"])
_USERS = st.text(st.characters(exclude_characters=":@/\x00"), max_size=12)
_PASSWORDS = st.text(st.characters(exclude_characters="\x00"), min_size=1, max_size=24)
_HOSTS = st.text(st.characters(exclude_characters="@\x00"), max_size=30)


@given(_SCHEMES, _USERS, _PASSWORDS, _HOSTS)
def test_the_whole_password_is_replaced(scheme: str, user: str, password: str, host: str) -> None:
    """Whatever the password holds (``@``, ``:``, ``/``), it is replaced whole."""
    url = f"{scheme}://{user}:{password}@{host}"
    assert mask_url(url) == f"{scheme}://{user}:***@{host}"


@given(_SCHEMES, _USERS, _HOSTS)
def test_a_url_without_a_password_is_unchanged(scheme: str, user: str, host: str) -> None:
    assert mask_url(f"{scheme}://{user}@{host}") == f"{scheme}://{user}@{host}"
    assert mask_url(f"{scheme}://{host}") == f"{scheme}://{host}"


@given(st.text(max_size=60))
def test_any_text_is_accepted(text: str) -> None:
    """Called while reporting bad input, so it never raises."""
    masked = mask_url(text)
    assert masked == text or "***" in masked


def test_every_store_names_its_url_masked() -> None:
    """The PostgreSQL store, the store factory and the SQLite store mask the same way."""
    url = "postgresql://orchestrator:pa:ss@word@db.example:6543/registry"
    expected = "postgresql://orchestrator:***@db.example:6543/registry"
    assert StoreRegistrationPostgres(url).url == expected
    assert mask_url(url) == expected
    for refused in ("mysql://u:secret@h/db", "redis://u:secret@h/0"):
        with pytest.raises(ModelOnexError) as by_factory:
            parse_store_url(refused)
        with pytest.raises(ModelOnexError) as by_sqlite:
            StoreRegistrationSqlite(refused)
        for caught in (by_factory, by_sqlite):
            assert "secret" not in str(caught.value)
            assert mask_url(refused) in caught.value.message
