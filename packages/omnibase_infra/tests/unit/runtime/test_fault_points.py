"""The test-only fault points: armed by one environment variable, they signal the process at
the n-th pass of the named step; a malformed value stops the process with one message."""

from __future__ import annotations

import importlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from omnibase_core.models.errors import ModelOnexError
from omnibase_infra.runtime import fault_points
from omnibase_infra.runtime.fault_points import ENV_VAR, POINTS

#: Passes a fault point three times, printing after each pass.
PASSES = """
from omnibase_infra.runtime.fault_points import fault_point
for n in range(1, 4):
    fault_point("relay-published")
    fault_point("bus-batch-fetched")
    print(n, flush=True)
"""


def _python(code: str, value: str | None, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != ENV_VAR}
    if value is not None:
        env[ENV_VAR] = value
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=60,
        check=False,
    )


def test_an_armed_point_signals_the_process_at_its_nth_pass_only(tmp_path: Path) -> None:
    done = _python(PASSES, "bus-batch-fetched:2:SIGKILL", tmp_path)
    assert done.returncode == -signal.SIGKILL
    assert done.stdout.split() == ["1"]  # other points and earlier passes went by
    assert "fault point bus-batch-fetched #2 reached: sending SIGKILL to myself" in done.stderr


@pytest.mark.parametrize(
    "value",
    [
        "bus-batch-fetched",
        "bus-batch-fetched:0:SIGKILL",
        "bus-batch-fetched:two:SIGKILL",
        "bus-batch-fetch:2:SIGKILL",
        "bus-batch-fetched:2:SIGINT",
    ],
)
def test_a_malformed_value_is_refused_with_what_is_expected(
    value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_VAR, value)
    try:
        with pytest.raises(ModelOnexError) as caught:
            importlib.reload(fault_points)
    finally:
        monkeypatch.delenv(ENV_VAR)
        importlib.reload(fault_points)
    assert caught.value.message == (
        f"{ENV_VAR}={value!r} is not '<point>:<n>:<signal>' with a point in "
        f"{', '.join(sorted(POINTS))}, n a whole number from 1 and a signal in SIGKILL, "
        "SIGSTOP, SIGTERM; unset it outside of failure tests"
    )


def test_serve_with_a_malformed_value_exits_with_one_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "omnibase_infra.cli",
            "serve",
            "--store",
            f"sqlite:///{tmp_path / 's.db'}",
            "--bus",
            "nats://127.0.0.1:1",
        ],
        capture_output=True,
        text=True,
        env={**{k: v for k, v in os.environ.items() if k != ENV_VAR}, ENV_VAR: "kill-me"},
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    (line,) = done.stderr.splitlines()
    assert line.startswith(f"onex-registration: error: {ENV_VAR}='kill-me' is not '<point>:")
