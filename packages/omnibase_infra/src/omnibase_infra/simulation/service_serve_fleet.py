"""``onex-registration serve`` processes started, watched and stopped by the bus demo.

Each process runs ``command`` (the ``serve`` command line: ``onex-registration serve`` by
default; the demo's command line passes its own interpreter and package, so the processes run
the same installation), logs to a file of its own in ``folder``, and stays in
this process's group, so a Ctrl-C in the terminal reaches it too (it then finishes its batch
in flight and exits). :meth:`stop` sends SIGTERM and waits; whatever is still running after
that is killed, so leaving the ``with`` block never leaves a process behind.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

from omnibase_core.enums import EnumCoreErrorCode
from omnibase_core.models.errors import ModelOnexError
from omnibase_infra.utils.url_masking import mask_url

#: How a serve process is started unless told otherwise: the console script on ``PATH``.
DEFAULT_SERVE_COMMAND = ("onex-registration", "serve")
#: The line a serve process logs once it consumes.
SERVING_MARK = "serving store"
_LOG_TAIL_LINES = 8


class ServiceServeFleet:
    """``count`` serve processes on ``store_url`` and ``bus_url`` with ``partitions``, without
    ticks of their own (the simulated history carries its ticks)."""

    def __init__(
        self,
        count: int,
        store_url: str,
        bus_url: str,
        partitions: int,
        folder: Path,
        *,
        command: Sequence[str] = DEFAULT_SERVE_COMMAND,
        extra_args: tuple[str, ...] = (),
    ) -> None:
        self._argv = [
            *command,
            *("--store", store_url),
            *("--bus", bus_url),
            *("--partitions", str(partitions)),
            "--no-ticks",
            *extra_args,
        ]
        self._count = count
        self._folder = folder
        self._store_url = mask_url(store_url)
        self._processes: list[subprocess.Popen[bytes]] = []
        self.logs = tuple(folder / f"serve-{index + 1}.log" for index in range(count))

    def __enter__(self) -> ServiceServeFleet:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop(timeout_seconds=10.0 if exc is None else 5.0)

    def start(self, timeout_seconds: float) -> None:
        """Start every process and wait until each consumes (its start line is logged).

        Raises ``ModelOnexError(INVALID_STATE)`` naming the process and the end of its log
        when one exits or has not started within ``timeout_seconds``.
        """
        env = {k: v for k, v in os.environ.items() if k != "ONEX_REGISTRATION_STORE"}
        for log_path in self.logs:
            with open(log_path, "wb") as log:
                self._processes.append(
                    subprocess.Popen(
                        self._argv,
                        stdin=subprocess.DEVNULL,
                        stdout=subprocess.DEVNULL,
                        stderr=log,
                        cwd=self._folder,
                        env=env,
                    )
                )
        deadline = time.monotonic() + timeout_seconds
        waiting = set(range(self._count))
        while waiting:
            for index in sorted(waiting):
                self.check_running()
                if SERVING_MARK in self._log(index):
                    waiting.discard(index)
            if waiting and time.monotonic() > deadline:
                index = min(waiting)
                raise self._failed(index, f"did not start serving within {timeout_seconds:g} s")
            if waiting:
                time.sleep(0.05)

    def check_running(self) -> None:
        """Raise ``ModelOnexError(INVALID_STATE)`` naming the first process that exited,
        with the end of its log."""
        for index, process in enumerate(self._processes):
            status = process.poll()
            if status is not None:
                raise self._failed(index, f"exited with status {status}")

    def stop(self, timeout_seconds: float = 10.0) -> tuple[int, ...]:
        """SIGTERM every process still running and wait for all (killing those still there
        after ``timeout_seconds``); returns the exit statuses (``-9`` for a killed one).
        Idempotent; raises nothing."""
        for process in self._processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout_seconds
        statuses = []
        for process in self._processes:
            try:
                statuses.append(process.wait(max(0.0, deadline - time.monotonic())))
            except subprocess.TimeoutExpired:
                process.kill()
                statuses.append(process.wait())
        return tuple(statuses)

    def log_tail(self, index: int) -> str:
        """The last lines process ``index`` logged, joined with `` | ``."""
        lines = [line for line in self._log(index).splitlines() if line.strip()]
        return " | ".join(lines[-_LOG_TAIL_LINES:]) or "(nothing logged)"

    def _log(self, index: int) -> str:
        try:
            return self.logs[index].read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def _failed(self, index: int, what: str) -> ModelOnexError:
        return ModelOnexError(
            f"serve process {index + 1} of {self._count} (store {self._store_url}) {what}; "
            f"its log ends: {self.log_tail(index)}",
            EnumCoreErrorCode.INVALID_STATE,
            {"log": str(self.logs[index])},
        )


__all__ = ["DEFAULT_SERVE_COMMAND", "SERVING_MARK", "ServiceServeFleet"]
