"""The test PostgreSQL helper drops root privileges with ``su`` when ``runuser`` is missing."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import postgres_fixtures
import psycopg
import pytest
from postgres_server import PostgresTestServer, as_user, unavailable_reason

needs_root = pytest.mark.skipif(
    os.geteuid() != 0, reason="the helper drops privileges only when the tests run as root"
)


@pytest.fixture
def path_without_runuser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``PATH`` set to a folder holding only ``su``: ``runuser`` cannot be found."""
    su = shutil.which("su")
    if su is None:
        pytest.skip("su is not installed")
    folder = tmp_path / "bin"
    folder.mkdir()
    (folder / "su").symlink_to(su)
    monkeypatch.setenv("PATH", str(folder))
    assert shutil.which("runuser") is None
    return folder


@needs_root
def test_su_fallback_passes_every_argument_unchanged(path_without_runuser: Path) -> None:
    arguments = ["a b", "-c listen_addresses=127.0.0.1", "it's", '"quoted"', "$HOME", "*", ""]
    cmd = as_user(["/usr/bin/printf", "[%s]\\n", *arguments], "root")

    assert cmd[0] == "su"
    result = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=30)

    assert result.stdout.splitlines() == [f"[{argument}]" for argument in arguments]


@needs_root
@pytest.mark.postgres
@pytest.mark.slow
def test_server_starts_and_serves_through_the_su_fallback(path_without_runuser: Path) -> None:
    reason = unavailable_reason()
    if reason is not None:
        postgres_fixtures.skip_or_fail(reason)
    server = PostgresTestServer()
    try:
        server.start()  # initdb and pg_ctl with -o "-p PORT -c ..." run through su
        url = server.create_database()
        with psycopg.connect(url) as conn:
            row = conn.execute("SHOW unix_socket_directories").fetchone()
        assert row == (str(server.socket_dir),)
    finally:
        server.stop()
