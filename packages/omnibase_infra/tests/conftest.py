"""Fixtures shared by the omnibase_infra tests.

The PostgreSQL fixtures start a private server once per session (see ``postgres_fixtures``);
every test that uses one is marked ``postgres`` so ``pytest -m postgres`` selects them.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# Test-support modules live beside this file (tests run with --import-mode=importlib).
sys.path.insert(0, str(Path(__file__).parent))

from postgres_fixtures import (
    postgres_fresh_url,
    postgres_server,
    postgres_url,
)

__all__ = ["postgres_fresh_url", "postgres_server", "postgres_url"]

_POSTGRES_FIXTURES = frozenset(__all__)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses a PostgreSQL fixture with ``postgres``."""
    for item in items:
        if _POSTGRES_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.postgres)
