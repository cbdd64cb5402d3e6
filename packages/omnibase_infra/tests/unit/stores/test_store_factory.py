"""Tests of store URL handling: default URL, accepted schemes and clear errors."""

from __future__ import annotations

import pytest

from omnibase_core.enums import EnumCoreErrorCode
from omnibase_core.models.errors import ModelOnexError
from omnibase_infra.stores import StoreRegistrationMemory, default_store_url, open_store


def test_default_url_from_environment() -> None:
    assert default_store_url({"ONEX_REGISTRATION_STORE": "memory://"}) == "memory://"


def test_default_url_falls_back_to_sqlite_file() -> None:
    assert default_store_url({}) == "sqlite:///registration.db"
    assert default_store_url({"ONEX_REGISTRATION_STORE": "  "}) == "sqlite:///registration.db"


def test_open_memory_store() -> None:
    store = open_store("memory://")
    assert isinstance(store, StoreRegistrationMemory)
    assert store.url == "memory://"
    store.close()


@pytest.mark.parametrize(
    "url", ["foo://x", "registration.db", "", "http://localhost/db", "memory://extra"]
)
def test_unsupported_url_is_a_configuration_error(url: str) -> None:
    with pytest.raises(ModelOnexError) as info:
        open_store(url)
    assert info.value.error_code is EnumCoreErrorCode.CONFIGURATION_ERROR
    assert "\n" not in info.value.message
    assert "sqlite:///" in info.value.message or "memory://" in info.value.message
