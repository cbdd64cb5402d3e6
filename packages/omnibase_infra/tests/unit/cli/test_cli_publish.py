"""``onex-registration publish`` and ``bus setup``: bad input is one line and a non-zero exit,
before any bus is contacted."""

from __future__ import annotations

from pathlib import Path

import pytest

from omnibase_infra.cli.cli_registration import main

BUS = "nats://127.0.0.1:4222"


def _error(capsys: pytest.CaptureFixture[str]) -> str:
    captured = capsys.readouterr()
    (line,) = captured.err.splitlines()
    assert captured.out == ""
    return line


@pytest.mark.parametrize(
    ("argv", "status", "message"),
    [
        (
            ["publish", "{f}/missing.jsonl", "--bus", BUS],
            1,
            "input file {f}/missing.jsonl does not exist",
        ),
        (["publish", "{f}", "--bus", BUS], 1, "input file {f} is a folder"),
        (["publish", "x.jsonl"], 2, "the following arguments are required: --bus"),
        (
            ["publish", "x.jsonl", "--bus", "http://h:4222"],
            2,
            "argument --bus: 'http://h:4222' is not nats://HOST:PORT (or tls://HOST:PORT)",
        ),
        (
            ["publish", "x.jsonl", "--bus", "nats://h"],
            2,
            "argument --bus: 'nats://h' has no port; NATS listens on 4222 by default",
        ),
        (
            ["publish", "x.jsonl", "--bus", "nats://user:hunter2@h:port"],
            2,
            "argument --bus: 'nats://user:***@h:port' is not a URL",
        ),
        (
            ["publish", "x.jsonl", "--bus", "nats://h:1/streams"],
            2,
            "a bus URL has no path, query or fragment",
        ),
        (["publish", "x.jsonl", "--bus", BUS, "--partitions", "0"], 2, "0 must be at least 1"),
        (["publish", "x.jsonl", "--bus", BUS, "--partitions", "4097"], 2, "must be at most 4096"),
        (["publish", "x.jsonl", "--bus", BUS, "--partitions", "two"], 2, "'two' is not a whole"),
        (["publish", "x.jsonl", "--bus", BUS, "--timeout", "0"], 2, "0 must be above 0"),
        (["publish", "x.jsonl", "--bus", BUS, "--replicas", "7"], 2, "7 must be at most 5"),
        (
            ["publish", "x.jsonl", "--bus", BUS, "--duplicate-window", "soon"],
            2,
            "'soon' is not a number of seconds",
        ),
        (["bus", "setup"], 2, "the following arguments are required: --bus"),
        (["bus"], 2, "the following arguments are required: COMMAND"),
        (["bus", "setup", "--bus", BUS, "--batch-size", "0"], 2, "0 must be at least 1"),
        (["bus", "setup", "--bus", BUS, "--batch-size", "20000"], 2, "must be at most 10000"),
        (["bus", "setup", "--bus", BUS, "--ack-wait", "-3"], 2, "-3 must be above 0"),
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

    assert main(argv) == status

    line = _error(capsys)
    assert line.startswith("onex-registration: error: ")
    assert message.replace("{f}", str(tmp_path)) in line
    assert "hunter2" not in line
