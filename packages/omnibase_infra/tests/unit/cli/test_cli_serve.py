"""``onex-registration serve``: bad input is one line and a non-zero exit, before anything
runs (the live behaviour is in test_cli_serve_nats.py)."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "omnibase_infra.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (["--partitions", "0"], 2, "argument --partitions: 0 must be at least 1"),
        (["--partitions", "x"], 2, "argument --partitions: 'x' is not a whole number"),
        (["--batch-size", "10001"], 2, "argument --batch-size: 10001 must be at most 10000"),
        (["--shutdown-timeout", "0"], 2, "must be above 0"),
        (["--bus", "http://127.0.0.1:1"], 1, "is not nats://HOST:PORT"),
        (["--store", "mysql://x"], 1, "store URL 'mysql://x' is not supported"),
        (["--http", "nope"], 1, "HTTP address 'nope' is not HOST:PORT"),
    ],
)
def test_bad_arguments_are_one_line(
    args: list[str], status: int, message: str, tmp_path: Path
) -> None:
    full = ["serve", "--store", f"sqlite:///{tmp_path / 's.db'}", "--bus", "nats://127.0.0.1:1"]
    done = _cli(*full, *args, cwd=tmp_path)
    assert done.returncode == status
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith("onex-registration: error: ")
    assert message in done.stderr


def test_an_unreachable_bus_or_store_at_start_is_one_line(tmp_path: Path) -> None:
    port = _free_port()
    done = _cli(
        "serve",
        "--store",
        f"sqlite:///{tmp_path / 's.db'}",
        "--bus",
        f"nats://127.0.0.1:{port}",
        cwd=tmp_path,
    )
    assert done.returncode == 1
    assert done.stderr.splitlines()[-1].startswith(
        f"onex-registration: error: cannot connect to NATS at nats://127.0.0.1:{port}"
    )
    assert "Traceback" not in done.stderr
    done = _cli(
        "serve",
        "--store",
        f"postgresql://postgres@127.0.0.1:{port}/nothing",
        "--bus",
        f"nats://127.0.0.1:{port}",
        cwd=tmp_path,
    )
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1
    assert f"127.0.0.1:{port}" in done.stderr


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (None, "contract.yaml"),  # missing file: named
        ("lifecycle: [\n", "contract.yaml:"),  # not YAML: path:line:column
        ("name: x\n", "contract.yaml:"),  # not a contract
    ],
    ids=["missing", "not-yaml", "not-a-contract"],
)
def test_a_bad_contract_is_one_line_naming_it_before_anything_is_opened(
    text: str | None, message: str, tmp_path: Path
) -> None:
    contract = tmp_path / "contract.yaml"
    if text is not None:
        contract.write_text(text, encoding="utf-8")
    store = tmp_path / "s.db"
    done = _cli(
        *("serve", "--store", f"sqlite:///{store}", "--bus", "nats://127.0.0.1:1"),
        *("--contract", str(contract)),
        cwd=tmp_path,
    )
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith("onex-registration: error: ")
    assert message in done.stderr
    assert not store.exists()  # refused before the store was opened


def test_a_contract_whose_lifecycle_breaks_a_bound_is_refused_with_the_key(
    tmp_path: Path,
) -> None:
    from omnibase_infra.nodes.node_registration_orchestrator.node import (
        NodeRegistrationOrchestrator,
    )

    shipped = Path(NodeRegistrationOrchestrator.DEFAULT_CONTRACT_PATH).read_text(encoding="utf-8")
    contract = tmp_path / "contract.yaml"
    contract.write_text(
        shipped.replace("tick_interval_seconds: 5", "tick_interval_seconds: 0"), encoding="utf-8"
    )
    done = _cli(
        *("serve", "--store", f"sqlite:///{tmp_path / 's.db'}", "--bus", "nats://127.0.0.1:1"),
        *("--contract", str(contract)),
        cwd=tmp_path,
    )
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1
    assert "tick_interval_seconds" in done.stderr
    assert f"{contract}:" in done.stderr
