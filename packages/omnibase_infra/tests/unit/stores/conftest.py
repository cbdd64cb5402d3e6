"""Store fixtures: the contract suite runs once per backend listed in ``STORE_BACKENDS``.

To run the suite against another backend, append a :class:`StoreBackend` whose ``make_url``
returns the URL of a fresh, empty store for one test (it may pull other fixtures through
``request.getfixturevalue``, e.g. a per-test PostgreSQL database) and give it the marks it
needs (e.g. ``pytest.mark.postgres``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from omnibase_infra.stores import ProtocolRegistrationStore, open_store


@dataclass(frozen=True)
class StoreBackend:
    """One backend of the contract suite."""

    name: str
    make_url: Callable[[pytest.FixtureRequest, Path], str]
    durable: bool
    marks: tuple[Any, ...] = field(default=())


STORE_BACKENDS: list[StoreBackend] = [
    StoreBackend("memory", lambda _request, _tmp: "memory://", durable=False),
    StoreBackend(
        "sqlite", lambda _request, tmp: f"sqlite:///{tmp / 'registration.db'}", durable=True
    ),
    StoreBackend(
        "postgresql",
        lambda request, _tmp: str(request.getfixturevalue("postgres_fresh_url")),
        durable=True,
        marks=(pytest.mark.postgres,),
    ),
]


def _params(backends: list[StoreBackend]) -> list[Any]:
    return [pytest.param(b, id=b.name, marks=b.marks) for b in backends]


@pytest.fixture(params=_params(STORE_BACKENDS))
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """URL of a fresh, empty store of each backend."""
    backend: StoreBackend = request.param
    return backend.make_url(request, tmp_path)


@pytest.fixture(params=_params([b for b in STORE_BACKENDS if b.durable]))
def durable_store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """URL of a fresh, empty store of each backend that keeps data across a reopen."""
    backend: StoreBackend = request.param
    return backend.make_url(request, tmp_path)


@pytest.fixture
def store(store_url: str) -> Iterator[ProtocolRegistrationStore]:
    """An open store of each backend, closed after the test."""
    opened = open_store(store_url)
    yield opened
    opened.close()
