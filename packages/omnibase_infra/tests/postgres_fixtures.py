"""pytest fixtures for tests that need PostgreSQL: one private server per test session.

Import the fixtures into a ``conftest.py`` or test module (``from postgres_fixtures import
postgres_server, postgres_url``). When a server cannot be started, the tests that use these
fixtures are skipped with the reason, except under ``CI=true`` where they fail: in CI the
PostgreSQL tests must run, never silently skip.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from postgres_server import PostgresTestServer, unavailable_reason

_server: PostgresTestServer | None = None
_start_error: str | None = None


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def skip_or_fail(reason: str) -> None:
    """Skip the calling test because PostgreSQL cannot run (``reason``), or fail it under
    ``CI=true``, where PostgreSQL tests must never be skipped. Always raises pytest's outcome."""
    message = f"PostgreSQL tests cannot run: {reason}"
    if _in_ci():
        pytest.fail(f"{message} (CI=true: PostgreSQL tests must not be skipped)", pytrace=False)
    pytest.skip(message)


def shared_server() -> PostgresTestServer:
    """The session's server, started on first use; skips or fails the caller if impossible."""
    global _server, _start_error
    if _server is None and _start_error is None:
        reason = unavailable_reason()
        if reason is None:
            server = PostgresTestServer()
            try:
                server.start()
                _server = server
            except (RuntimeError, OSError) as exc:
                server.stop()
                reason = f"starting a private server failed: {exc}"
        _start_error = reason
    if _server is None:
        skip_or_fail(_start_error or "unknown reason")
    assert _server is not None
    return _server


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresTestServer]:
    """The private PostgreSQL server of this test session (stopped at the end)."""
    global _server
    server = shared_server()
    yield server
    server.stop()
    _server = None


@pytest.fixture(scope="session")
def postgres_url(postgres_server: PostgresTestServer) -> str:
    """URL of a database created once for the session."""
    return postgres_server.create_database()


@pytest.fixture
def postgres_fresh_url(postgres_server: PostgresTestServer, postgres_url: str) -> str:
    """URL of a new, empty store for one test: its own schema in the session's database."""
    return postgres_server.create_schema(postgres_url)


@pytest.fixture
def postgres_private_server() -> Iterator[PostgresTestServer]:
    """A PostgreSQL server of this test alone: restart it or cut its sessions at will."""
    reason = unavailable_reason()
    if reason is not None:
        skip_or_fail(reason)
    server = PostgresTestServer()
    try:
        server.start()
    except (RuntimeError, OSError) as exc:
        server.stop()
        skip_or_fail(f"starting a private server failed: {exc}")
    yield server
    server.stop()
