"""ModelONEXContainer: lookup by name and class, error codes, concurrent registration."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from omnibase_core.enums import EnumCoreErrorCode
from omnibase_core.models.container import ModelONEXContainer
from omnibase_core.models.errors import ModelOnexError


class ServiceBase:
    pass


class ServiceImpl(ServiceBase):
    pass


def test_container_by_name_and_class() -> None:
    container = ModelONEXContainer()
    impl = ServiceImpl()
    container.register_service(ServiceImpl, impl)
    assert container.get_service("ServiceImpl") is impl
    assert container.get_service(ServiceImpl) is impl
    assert container.get_service(ServiceBase) is impl
    assert container.has_service(ServiceBase)
    assert container.unregister_service(ServiceImpl) is True
    assert container.unregister_service(ServiceImpl) is False
    assert not container.has_service("ServiceImpl")


def test_container_missing_service_names_key() -> None:
    container = ModelONEXContainer()
    container.register_service("ProtocolOther", object())
    with pytest.raises(ModelOnexError) as info:
        container.get_service("ProtocolHandlerRegistry")
    assert info.value.error_code is EnumCoreErrorCode.SERVICE_NOT_FOUND
    assert "'ProtocolHandlerRegistry'" in info.value.message
    assert "ProtocolOther" in info.value.message


@pytest.mark.parametrize(
    ("key", "instance"), [("", object()), ("  ", object()), ("K", None), (3, object())]
)
def test_container_rejects_bad_registration(key: Any, instance: Any) -> None:
    with pytest.raises(ModelOnexError) as info:
        ModelONEXContainer().register_service(key, instance)
    assert info.value.error_code is EnumCoreErrorCode.INVALID_PARAMETER


def test_container_rejects_duplicate_key() -> None:
    container = ModelONEXContainer()
    container.register_service("K", 1)
    with pytest.raises(ModelOnexError) as info:
        container.register_service("K", 2)
    assert info.value.error_code is EnumCoreErrorCode.DUPLICATE_REGISTRATION
    assert container.get_service("K") == 1


def test_container_concurrent_registration() -> None:
    container = ModelONEXContainer()
    barrier = threading.Barrier(8)

    def work(worker: int) -> None:
        barrier.wait()
        for index in range(200):
            container.register_service(f"S{worker}-{index}", index)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(container.get_service(f"S{w}-{i}") == i for w in range(8) for i in range(200))
