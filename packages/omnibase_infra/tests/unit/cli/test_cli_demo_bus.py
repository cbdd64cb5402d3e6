"""``onex-registration demo --bus``: the simulated cluster through a private nats-server and real
``serve`` processes (one on SQLite, two on PostgreSQL, or processes already running), ends as
the plain demo does and checks the output stream; bad input is one line; an interrupted demo
leaves no serve process behind."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from nats_fixtures import nats_private_server
from nats_server import NatsTestServer
from serve_support import ServeProcess, wait_until

from omnibase_infra.cli.cli_registration import main

__all__ = ["nats_private_server"]
CLUSTER = ("--seed", "5", "--nodes", "14", "--minutes", "6")
OUTPUT_OK = "ok    the output stream holds every outbox event once, in commit order"


def _demo(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "ONEX_REGISTRATION_STORE"}
    return subprocess.run(
        [sys.executable, "-m", "omnibase_infra.cli", "demo", *CLUSTER, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=240,
    )


def _section(account: str, title: str) -> list[str]:
    """The lines of one section of a demo account (from its title to the next blank line)."""
    lines = account.splitlines()
    start = lines.index(title)
    end = lines.index("", start)
    return lines[start:end]


def _plain_account(capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["demo", *CLUSTER]) == 0
    return capsys.readouterr().out


def _assert_same_cluster_as_plain_demo(account: str, plain: str) -> None:
    for title in ("Lifecycle events by type", "Nodes by state", "Nodes that are not active"):
        assert _section(account, title) == _section(plain, title), title


@pytest.mark.live
@pytest.mark.nats
def test_one_serve_on_sqlite_ends_as_the_plain_demo(
    nats_private_server: NatsTestServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    done = _demo("--bus", nats_private_server.url, "--partitions", "3", cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    assert "All invariants hold." in done.stdout
    assert OUTPUT_OK in done.stdout
    assert "every serve process stops cleanly on SIGTERM (1/1 exited 0)" in done.stdout
    assert f"Bus: {nats_private_server.url}, 3 partitions, 1 serve process started" in done.stdout
    assert "starting 1 serve process(es) on SQLite, temporary file" in done.stderr
    _assert_same_cluster_as_plain_demo(done.stdout, _plain_account(capsys))
    assert list(tmp_path.iterdir()) == []  # the store, the logs: all in a temporary folder

    again = _demo("--bus", nats_private_server.url, "--partitions", "3", cwd=tmp_path)
    assert again.returncode == 2
    assert again.stdout == ""
    (line,) = again.stderr.splitlines()
    assert line.startswith(
        f"onex-registration: error: the bus at {nats_private_server.url} already holds "
    )
    assert "needs empty streams" in line


@pytest.mark.live
@pytest.mark.nats
def test_two_serves_on_postgresql_share_the_partitions(
    nats_private_server: NatsTestServer,
    postgres_fresh_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    done = _demo(
        "--bus", nats_private_server.url, "--serve", "2", "--store", postgres_fresh_url,
        cwd=tmp_path,
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    assert "All invariants hold." in done.stdout
    assert OUTPUT_OK in done.stdout
    assert "every serve process stops cleanly on SIGTERM (2/2 exited 0)" in done.stdout
    assert "4 partitions, 2 serve processes started by the demo" in done.stdout
    _assert_same_cluster_as_plain_demo(done.stdout, _plain_account(capsys))


@pytest.mark.live
@pytest.mark.nats
def test_serve_processes_already_running_are_used_as_they_are(
    nats_private_server: NatsTestServer, tmp_path: Path
) -> None:
    store = f"sqlite:///{tmp_path / 'running.db'}"
    serve = ServeProcess(
        store, nats_private_server.url, "--partitions", "2", "--no-ticks", folder=tmp_path
    )
    try:
        serve.start().wait_serving()
        done = _demo(
            "--bus", nats_private_server.url, "--serve", "0", "--partitions", "2",
            "--store", store, cwd=tmp_path,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert OUTPUT_OK in done.stdout
        assert "serve processes already running" in done.stdout
        assert "stops cleanly" not in done.stdout  # not the demo's to stop
        assert serve.process is not None
        assert serve.process.poll() is None
        assert serve.terminate() == 0
    finally:
        serve.stop_quietly()


def _serve_pids(bus_url: str) -> list[int]:
    """Processes whose command line serves ``bus_url``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"serve" in argv and bus_url.encode() in argv:
            found.append(int(entry.name))
    return found


@pytest.mark.live
@pytest.mark.nats
@pytest.mark.parametrize("signal_number", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_demo_stops_its_serve_processes(
    nats_private_server: NatsTestServer, tmp_path: Path, signal_number: int
) -> None:
    env = {k: v for k, v in os.environ.items() if k != "ONEX_REGISTRATION_STORE"}
    demo = subprocess.Popen(
        [
            *(sys.executable, "-m", "omnibase_infra.cli", "demo"),
            *("--bus", nats_private_server.url),  # 8,600 messages: seconds of work
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env=env,
    )
    try:
        wait_until(lambda: bool(_serve_pids(nats_private_server.url)), 60, "a serve process")
        demo.send_signal(signal_number)
        out, err = demo.communicate(timeout=60)
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()
    assert demo.returncode == 130, err
    assert out == ""
    assert err.splitlines()[-1] == "onex-registration: error: interrupted"
    assert _serve_pids(nats_private_server.url) == []


def _error(capsys: pytest.CaptureFixture[str]) -> str:
    captured = capsys.readouterr()
    (line,) = captured.err.splitlines()
    assert captured.out == ""
    return line


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


BUS = "nats://127.0.0.1:4222"


@pytest.mark.parametrize(
    ("argv", "status", "message"),
    [
        (["--serve", "2"], 2, "--serve only applies with --bus URL"),
        (
            ["--partitions", "3", "--stall-timeout", "5"],
            2,
            "--partitions, --stall-timeout only apply with --bus URL",
        ),
        (["--bus", BUS, "--serve", "-1"], 2, "argument --serve: -1 must be 0 or more"),
        (["--bus", BUS, "--serve", "two"], 2, "argument --serve: 'two' is not a whole number"),
        (
            ["--bus", BUS, "--serve", "17"],
            2,
            "--serve 17: the demo starts 1 to 16 serve processes, or 0 to use processes "
            "already running",
        ),
        (["--bus", BUS, "--partitions", "0"], 2, "argument --partitions: 0 must be at least 1"),
        (
            ["--bus", BUS, "--serve", "2"],
            2,
            "--serve 2 needs --store postgresql://...: several serve processes share the "
            "partitions through PostgreSQL leases (the default temporary SQLite store serves "
            "one process)",
        ),
        (
            ["--bus", BUS, "--serve", "2", "--store", "sqlite:///{f}/r.db"],
            2,
            "--serve 2 with a SQLite store: several serve processes share the partitions "
            "through PostgreSQL leases; use --store postgresql://... or --serve 1",
        ),
        (
            ["--bus", BUS, "--serve", "0"],
            2,
            "--serve 0 uses serve processes already running: give their store with --store so "
            "the demo can check what they applied",
        ),
        (
            ["--bus", BUS, "--store", "memory://"],
            2,
            "--store memory://: serve processes cannot share an in-memory store; give a SQLite "
            "file (one process) or a PostgreSQL database",
        ),
        (
            ["--bus", "http://h:4222"],
            2,
            "argument --bus: 'http://h:4222' is not nats://HOST:PORT (or tls://HOST:PORT)",
        ),
        (
            ["--bus", BUS, "--stall-timeout", "0"],
            2,
            "argument --stall-timeout: 0 must be above 0 and at most 86400 seconds",
        ),
    ],
)
def test_bad_input_is_one_line(
    argv: list[str],
    status: int,
    message: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = [arg.replace("{f}", str(tmp_path)) for arg in argv]
    assert main(["demo", *CLUSTER, *argv]) == status
    assert message in _error(capsys)
    assert list(tmp_path.iterdir()) == []


def test_an_unreachable_bus_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    url = f"nats://127.0.0.1:{_closed_port()}"
    assert main(["demo", *CLUSTER, "--bus", url]) == 1
    line = _error(capsys)
    assert line.startswith(f"onex-registration: error: cannot connect to NATS at {url}: ")
    assert line.endswith("check that nats-server runs with JetStream (-js) there")


def test_a_store_that_holds_data_is_refused_before_the_bus_is_contacted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = f"sqlite:///{tmp_path / 'used.db'}"
    assert main(["demo", *CLUSTER, "--store", store]) == 0
    capsys.readouterr()
    url = f"nats://127.0.0.1:{_closed_port()}"
    assert main(["demo", *CLUSTER, "--bus", url, "--store", store]) == 2
    assert "already holds data" in _error(capsys)
