"""A throwaway PostgreSQL server for tests and benchmarks.

The server runs from the distribution's own binaries (``initdb``, ``pg_ctl``) on a temporary data
directory and a free loopback port, with its unix socket inside that directory, trust
authentication and durability switched off for speed. When the tests run as root the server runs
as the ``postgres`` system user (PostgreSQL refuses to run as root).

It never touches a server already running on the machine. :func:`unavailable_reason` says why a
server cannot be started here, so callers can skip (locally) or fail (under ``CI=true``).
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shlex
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import psycopg

_SERVER_USER = "postgres"


def find_bindir() -> Path | None:
    """The directory holding ``initdb`` and ``pg_ctl``, or ``None`` when none is installed.

    Looked up in ``$ONEX_TEST_PG_BINDIR``, then ``pg_config --bindir``, then the newest
    ``/usr/lib/postgresql/*/bin``, then ``PATH``.
    """
    candidates: list[Path] = []
    if env := os.environ.get("ONEX_TEST_PG_BINDIR"):
        candidates.append(Path(env))
    if pg_config := shutil.which("pg_config"):
        try:
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, check=True, timeout=10
            ).stdout.strip()
            candidates.append(Path(out))
        except (OSError, subprocess.SubprocessError):
            pass

    def _version(path: str) -> int:
        try:
            return int(Path(path).parent.name)
        except ValueError:
            return 0

    candidates += [
        Path(p).parent
        for p in sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version, reverse=True)
    ]
    if initdb := shutil.which("initdb"):
        candidates.append(Path(initdb).parent)
    for candidate in candidates:
        if (candidate / "initdb").is_file() and (candidate / "pg_ctl").is_file():
            return candidate
    return None


def unavailable_reason() -> str | None:
    """Why a test server cannot be started on this machine, or ``None`` if it can be tried."""
    if find_bindir() is None:
        return (
            "PostgreSQL server binaries (initdb, pg_ctl) not found: install the 'postgresql' "
            "package or set ONEX_TEST_PG_BINDIR"
        )
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(_SERVER_USER)
        except KeyError:
            return "running as root but there is no 'postgres' system user to run the server as"
        if shutil.which("runuser") is None and shutil.which("su") is None:
            return "running as root but neither runuser nor su is available to drop privileges"
    return None


def as_user(cmd: list[str], user: str) -> list[str]:
    """``cmd`` wrapped to run as ``user`` (the caller is root): ``runuser`` when it is on
    ``PATH``, else ``su``, whose ``-c`` takes one shell command line, so the arguments are
    quoted with :func:`shlex.join` and reach the program exactly as given."""
    if shutil.which("runuser"):
        return ["runuser", "-u", user, "--", *cmd]
    return ["su", user, "-s", "/bin/sh", "-c", shlex.join(cmd)]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PostgresTestServer:
    """A private PostgreSQL cluster: :meth:`start`, :meth:`create_database`, :meth:`stop`.

    ``ModelOnexError`` is not used here on purpose: this is test support, and its errors are
    ``RuntimeError`` carrying the server log so a failing start is easy to diagnose.
    """

    def __init__(self) -> None:
        bindir = find_bindir()
        if bindir is None:
            raise RuntimeError(unavailable_reason())
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="onex-pg-"))
        self.data_dir = self.root / "data"
        self.socket_dir = self.root
        self.log_file = self.root / "server.log"
        self.port = 0
        self.user = _SERVER_USER
        self._as_root = os.geteuid() == 0
        self._running = False

    # --- process control ---------------------------------------------------------------------
    def _run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self._as_root:
            cmd = as_user(cmd, _SERVER_USER)
        result = subprocess.run(
            cmd, capture_output=True, text=True, timeout=timeout, cwd=self.root, check=False
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"{args[0]} failed (exit {result.returncode}): {result.stderr.strip()}\n"
                f"{self._log_tail()}"
            )
        return result

    def _log_tail(self) -> str:
        try:
            return "server log:\n" + "\n".join(self.log_file.read_text().splitlines()[-20:])
        except OSError:
            return ""

    def _server_options(self) -> str:
        settings = {
            "listen_addresses": "127.0.0.1",
            "unix_socket_directories": str(self.socket_dir),
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "max_connections": "60",
            "shared_buffers": "64MB",
        }
        return f"-p {self.port} " + " ".join(f"-c {k}={v}" for k, v in settings.items())

    def start(self) -> None:
        """Create the cluster (first call) and start the server on a free port."""
        if self._as_root:
            shutil.chown(self.root, user=_SERVER_USER)
        if not self.data_dir.exists():
            self._run(
                "initdb", "-D", str(self.data_dir), "-A", "trust", "-U", self.user,
                "-E", "UTF8", "--no-sync", "--locale=C",
            )  # fmt: skip
        last_error: RuntimeError | None = None
        for _ in range(3):
            self.port = self.port or _free_port()
            try:
                self._pg_ctl_start()
                self._running = True
                return
            except RuntimeError as exc:
                last_error, self.port = exc, 0
        assert last_error is not None
        raise last_error

    def _pg_ctl_start(self) -> None:
        self._run(
            "pg_ctl", "start", "-w", "-t", "60", "-D", str(self.data_dir),
            "-l", str(self.log_file), "-o", self._server_options(),
        )  # fmt: skip

    def restart(self) -> None:
        """Restart the server on the same port (fast shutdown: open sessions are cut)."""
        self._run("pg_ctl", "stop", "-w", "-m", "fast", "-D", str(self.data_dir))
        self._pg_ctl_start()

    def stop(self) -> None:
        """Stop the server and delete its files. Idempotent."""
        if self._running:
            self._running = False
            with contextlib.suppress(RuntimeError, subprocess.SubprocessError):
                self._run("pg_ctl", "stop", "-w", "-m", "immediate", "-D", str(self.data_dir))
        shutil.rmtree(self.root, ignore_errors=True)

    # --- databases -----------------------------------------------------------------------------
    def url(self, database: str = "postgres") -> str:
        """The ``postgresql://`` URL of ``database`` on this server (TCP on loopback)."""
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str | None = None) -> str:
        """Create an empty database (a fresh random name by default) and return its URL."""
        name = name or f"onex_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def create_schema(self, database_url: str, name: str | None = None) -> str:
        """Create an empty schema in the database of ``database_url`` and return a URL whose
        sessions use it (``search_path``): an isolated store for one test, in a millisecond."""
        name = name or f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{name}"')
        return f"{database_url}?options=-csearch_path%3D{name}"

    def terminate_backends(self, database_url: str) -> int:
        """Kill every session connected to the database of ``database_url``; returns how many."""
        database = database_url.rsplit("/", 1)[1].split("?", 1)[0]
        with psycopg.connect(self.url(), autocommit=True) as conn:
            rows = conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (database,),
            ).fetchall()
        return len(rows)
