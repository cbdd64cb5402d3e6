"""A throwaway nats-server with JetStream for tests and benchmarks.

The server runs from the machine's ``nats-server`` binary (Debian package ``nats-server``) on a
free loopback port with its JetStream store in a temporary directory. :meth:`kill` sends
SIGKILL, as a crash would; :meth:`start` again brings it back on the same port and store, so
clients reconnect to the same streams. It never touches a server already running on the
machine. :func:`unavailable_reason` says why a server cannot be started here.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

_CANDIDATES = ("/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server")


def find_binary() -> Path | None:
    """``$ONEX_TEST_NATS_SERVER``, else ``nats-server`` on ``PATH`` or in the usual places."""
    if env := os.environ.get("ONEX_TEST_NATS_SERVER"):
        return Path(env) if Path(env).is_file() else None
    found = shutil.which("nats-server")
    if found:
        return Path(found)
    return next((Path(p) for p in _CANDIDATES if Path(p).is_file()), None)


def unavailable_reason() -> str | None:
    """Why a test server cannot be started on this machine, or ``None`` if it can be tried."""
    if find_binary() is None:
        return (
            "nats-server not found: install the 'nats-server' package or set "
            "ONEX_TEST_NATS_SERVER to its path"
        )
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class NatsTestServer:
    """A private nats-server: :meth:`start`, :meth:`kill`, :meth:`restart`, :meth:`stop`.

    Errors are ``RuntimeError`` carrying the server log (test support, not framework code).
    """

    def __init__(self) -> None:
        binary = find_binary()
        if binary is None:
            raise RuntimeError(unavailable_reason())
        self.binary = binary
        self.root = Path(tempfile.mkdtemp(prefix="onex-nats-"))
        self.store_dir = self.root / "jetstream"
        self.log_file = self.root / "server.log"
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """``nats://127.0.0.1:<port>``."""
        return f"nats://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        """Whether the server process is alive."""
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        """Start the server (on a free port the first time, on the same port afterwards)."""
        attempts = 3 if self.port == 0 else 1
        last_error: RuntimeError | None = None
        for _ in range(attempts):
            self.port = self.port or _free_port()
            try:
                self._launch()
                return
            except RuntimeError as exc:
                last_error = exc
                if attempts > 1:
                    self.port = 0
        assert last_error is not None
        raise last_error

    def _launch(self) -> None:
        with self.log_file.open("ab") as log:
            self._process = subprocess.Popen(
                [
                    str(self.binary),
                    *("-a", "127.0.0.1", "-p", str(self.port)),
                    *("-js", "-sd", str(self.store_dir)),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"nats-server exited at start\n{self._log_tail()}")
            if self._answers():
                return
            time.sleep(0.02)
        self.kill()
        raise RuntimeError(f"nats-server did not accept connections in 20s\n{self._log_tail()}")

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                return sock.recv(4).startswith(b"INFO")
        except OSError:
            return False

    def _log_tail(self) -> str:
        try:
            return "server log:\n" + "\n".join(self.log_file.read_text().splitlines()[-20:])
        except OSError:
            return ""

    def kill(self) -> None:
        """SIGKILL the server (no shutdown: what a crash does) and wait for it to die."""
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGKILL)
            self._process.wait(timeout=20)

    def restart(self) -> None:
        """SIGKILL, then start again on the same port and store directory."""
        self.kill()
        self.start()

    def stop(self) -> None:
        """Kill the server and delete its files. Idempotent."""
        self.kill()
        self._process = None
        with contextlib.suppress(OSError):
            shutil.rmtree(self.root, ignore_errors=True)
