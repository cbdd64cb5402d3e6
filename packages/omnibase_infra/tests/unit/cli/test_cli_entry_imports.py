"""The console entry point loads nothing heavy until a command needs it.

``--help`` and usage errors must answer at once: importing the entry module, printing the help
or rejecting a bad option may not import pydantic, a database driver, the models, the stores
or the runtime. Checked in a fresh interpreter, by the modules it ends up holding (no timing).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("pydantic", "psycopg", "sqlite3", "yaml", "importlib.metadata")
HEAVY_OURS = (
    "omnibase_core.models",
    "omnibase_core.services",
    "omnibase_infra.models",
    "omnibase_infra.stores",
    "omnibase_infra.runtime",
    "omnibase_infra.nodes",
    "omnibase_infra.simulation",
)

_PROBE = """
import contextlib, io, json, sys
from omnibase_infra.cli import cli_registration
status = None
if sys.argv[1:]:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        status = cli_registration.main(sys.argv[1:])
print(json.dumps({"status": status, "modules": sorted(sys.modules)}))
"""


def _loaded_after(*argv: str) -> tuple[int | None, list[str]]:
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, *argv],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    report = json.loads(result.stdout)
    return report["status"], report["modules"]


def _heavy(modules: list[str]) -> list[str]:
    return [
        name
        for name in modules
        if any(name == heavy or name.startswith(f"{heavy}.") for heavy in HEAVY + HEAVY_OURS)
    ]


@pytest.mark.parametrize(
    ("argv", "status"),
    [
        ((), None),
        (("--help",), 0),
        (("run", "--help"), 0),
        (("nodes", "--state", "zombie"), 2),
        (("run",), 2),
        (("run", "x.jsonl", "--batch-size", "0"), 2),
        (("events", "--after-sequence", "-1"), 2),
        (("frobnicate",), 2),
        (("publish", "--help"), 0),
        (("bus", "setup", "--help"), 0),
        (("publish", "x.jsonl", "--bus", "http://h:1"), 2),
        (("publish", "x.jsonl", "--bus", "nats://h:1", "--partitions", "0"), 2),
        (("bus", "setup", "--bus", "nats://h"), 2),
    ],
)
def test_help_and_usage_errors_load_nothing_heavy(
    argv: tuple[str, ...], status: int | None
) -> None:
    loaded_status, modules = _loaded_after(*argv)

    assert loaded_status == status
    assert _heavy(modules) == []


def test_the_probe_sees_heavy_modules_when_a_command_runs() -> None:
    # the same probe on a real command: proves the check above can fail
    status, modules = _loaded_after("nodes", "--store", "memory://")

    assert status == 0
    assert "pydantic" in modules
    assert "omnibase_infra.stores.store_factory" in modules
