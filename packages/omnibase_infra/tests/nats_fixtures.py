"""pytest fixtures for tests that need nats-server: a shared one per session, and a private
one per test for tests that kill it.

When a server cannot be started, the tests that use these fixtures are skipped with the
reason, except under ``CI=true`` where they fail: in CI the NATS tests must run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from nats_server import NatsTestServer, unavailable_reason


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def _started() -> NatsTestServer:
    reason = unavailable_reason()
    if reason is None:
        server = NatsTestServer()
        try:
            server.start()
            return server
        except (RuntimeError, OSError) as exc:
            server.stop()
            reason = f"starting a private nats-server failed: {exc}"
    message = f"NATS tests cannot run: {reason}"
    if _in_ci():
        pytest.fail(f"{message} (CI=true: NATS tests must not be skipped)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def nats_server() -> Iterator[NatsTestServer]:
    """A nats-server with JetStream shared by the session's tests (use fresh stream names)."""
    server = _started()
    yield server
    server.stop()


@pytest.fixture
def nats_private_server() -> Iterator[NatsTestServer]:
    """A nats-server of this test alone: kill and restart it at will."""
    server = _started()
    yield server
    server.stop()
