"""Shared fixtures of the cross-package tests: simulated inputs, a CLI runner, snapshots."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from omnibase_infra.simulation import ModelClusterHistory, ServiceClusterSimulator
from omnibase_infra.stores.protocol_registration_store import ProtocolRegistrationStore
from omnibase_infra.stores.store_factory import open_store

CliRunner = Callable[..., subprocess.CompletedProcess[str]]
Snapshot = Callable[[ProtocolRegistrationStore | str], dict[str, Any]]
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def noxfile() -> ModuleType:
    """The workspace's ``noxfile.py`` imported as a module (its release and version rules)."""
    spec = importlib.util.spec_from_file_location("omnibase_noxfile", ROOT / "noxfile.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def small_history() -> ModelClusterHistory:
    """A 40-node, 12-minute cluster: every kind of message and lifecycle transition."""
    return ServiceClusterSimulator(seed=11, nodes=40, minutes=12).simulate()


@pytest.fixture
def cli(tmp_path: Path) -> CliRunner:
    """Run ``onex-registration`` in a subprocess (``python -m omnibase_infra.cli``) in
    ``tmp_path``, with ``$ONEX_REGISTRATION_STORE`` unset unless given in ``env``."""

    def run(
        *args: str, env: dict[str, str] | None = None, check: bool = False
    ) -> subprocess.CompletedProcess[str]:
        environ = {k: v for k, v in os.environ.items() if k != "ONEX_REGISTRATION_STORE"}
        environ.update(env or {})
        return subprocess.run(
            [sys.executable, "-m", "omnibase_infra.cli", *args],
            cwd=tmp_path,
            env=environ,
            capture_output=True,
            text=True,
            check=check,
            timeout=300,
        )

    return run


@pytest.fixture
def write_lines() -> Callable[[Path, Sequence[str]], Path]:
    """Write lines to a file, one per line; returns the path."""

    def write(path: Path, lines: Sequence[str]) -> Path:
        path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
        return path

    return write


@pytest.fixture
def snapshot() -> Snapshot:
    """Everything a run leaves in a store (an open store or a URL), comparable across runs:
    registry rows, the event log in commit order with sequences, dead letters without their
    wall-clock ``recorded_at``, and the outcome counts."""

    def take(store_or_url: ProtocolRegistrationStore | str) -> dict[str, Any]:
        store = open_store(store_or_url) if isinstance(store_or_url, str) else store_or_url
        try:
            return {
                "nodes": [n.model_dump(mode="json") for n in store.list_nodes()],
                "events": [e.model_dump(mode="json") for e in store.iter_events()],
                "dead_letters": sorted(
                    (
                        d.model_dump(mode="json", exclude={"recorded_at"})
                        for d in store.list_dead_letters()
                    ),
                    key=lambda d: str(d["dead_letter_id"]),
                ),
                "outcomes": {k.value: v for k, v in store.count_outcomes().items()},
            }
        finally:
            if isinstance(store_or_url, str):
                store.close()

    return take
