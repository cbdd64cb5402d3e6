"""Stopping ``onex-registration run`` cleanly: SIGINT and SIGTERM end the run between batches.

The runtime commits one batch of lines per transaction and hands each committed batch's events
on before it reads the next batch. :class:`ServiceRunStop` makes a signal end the *input*
instead of the process: the input ends at its next read, so the runtime finishes the batch it
is applying (or applies the complete lines of the batch it was reading), commits it, writes its
events, and returns its summary as if the input had ended there. A read that waits for more
input (a pipe, a FIFO, a terminal) waits in ``select`` on the input and on a wake-up pipe the
signal writes to, so it ends at once, whichever thread the signal was delivered to. Before the
run has started, a signal aborts the start-up: nothing has been applied yet.
"""

from __future__ import annotations

import io
import os
import select
import signal
import stat
import threading
from collections.abc import Iterable, Iterator
from types import FrameType, TracebackType
from typing import Any, BinaryIO, TypeVar

LineT = TypeVar("LineT")

#: Signals that stop a run, with their exit statuses (128 + the signal number).
STOP_SIGNALS = {signal.SIGINT: 130, signal.SIGTERM: 143}


class _Interrupted(BaseException):
    """A stop where stopping at once is safe (nothing half-applied); a ``BaseException`` so
    that no ``except Exception`` on the way can swallow it."""


class ServiceRunStop:
    """SIGINT/SIGTERM handling for one run; a context manager that installs the handlers and
    a wake-up pipe, and restores what was there before.

    Until :meth:`begin` a signal aborts the ``with`` block (``__exit__`` suppresses it and
    :attr:`aborted` says so). From :meth:`begin` on, a signal is only recorded, and the lines
    handed out by :meth:`lines` / :meth:`stream_lines` end at the next read, also a read that
    is waiting for input. :meth:`request` stops the input the same way for another reason
    (the output failed). A signal that was ignored when the run started (``nohup``, a
    background job of a script) stays ignored. Outside the main thread, where handlers cannot
    be installed, only :meth:`request` stops a run.
    """

    def __init__(self) -> None:
        self.signal_number: int | None = None
        self.aborted = False
        self.reason: str | None = None
        self.lines_read = 0
        self.input_ended = False
        self._deferring = False
        self._previous: dict[int, Any] = {}
        self._wake: tuple[int, int] | None = None
        self._previous_wake = -1

    # --- the context ------------------------------------------------------------------------
    def __enter__(self) -> ServiceRunStop:
        if threading.current_thread() is not threading.main_thread():
            return self
        read_end, write_end = os.pipe()
        os.set_blocking(read_end, False)
        os.set_blocking(write_end, False)
        self._wake = (read_end, write_end)
        self._previous_wake = signal.set_wakeup_fd(write_end, warn_on_full_buffer=False)
        for number in STOP_SIGNALS:
            if signal.getsignal(number) is signal.SIG_IGN:
                continue  # ignored by whoever started us (nohup, a background job): keep it so
            self._previous[number] = signal.signal(number, self._handle)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool:
        for number, handler in self._previous.items():
            signal.signal(number, handler)
        self._previous.clear()
        if self._wake is not None:
            signal.set_wakeup_fd(self._previous_wake)
            for fd in self._wake:
                os.close(fd)
            self._wake = None
        if isinstance(exc, _Interrupted):
            self.aborted = True
            return True
        return False

    # --- the run ----------------------------------------------------------------------------
    def begin(self) -> None:
        """The run starts applying lines: from now on a signal ends the input instead of
        aborting. Raises the pending abort if a signal came just before."""
        self._deferring = True
        if self.signal_number is not None:
            raise _Interrupted

    def request(self, reason: str) -> None:
        """Stop reading input for ``reason`` (the first reason given is kept)."""
        if self.reason is None:
            self.reason = reason

    @property
    def stopping(self) -> bool:
        """Whether a signal or a request has asked the run to stop."""
        return self.signal_number is not None or self.reason is not None

    @property
    def exit_status(self) -> int | None:
        """128 + the signal that stopped the run (130 for SIGINT, 143 for SIGTERM), if any."""
        if self.signal_number is None:
            return None
        return STOP_SIGNALS[signal.Signals(self.signal_number)]

    @property
    def signal_name(self) -> str:
        """``SIGINT``, ``SIGTERM`` (or ``""`` when no signal came)."""
        return "" if self.signal_number is None else signal.Signals(self.signal_number).name

    def stream_lines(self, stream: BinaryIO) -> Iterator[bytes]:
        """:meth:`lines` of a binary stream, each ending at its ``\\n``.

        A regular file is read as it is. Anything else (a pipe, a FIFO, a terminal) is read
        through a reader that waits in ``select`` for input or for a signal, so a stop ends
        the input even while nothing arrives. The stream must not have been read yet.
        Raises ``OSError`` when reading fails.
        """
        try:
            fd = stream.fileno()
            regular = stat.S_ISREG(os.fstat(fd).st_mode)
        except (OSError, ValueError, io.UnsupportedOperation):
            return self.lines(stream)
        if regular or self._wake is None:
            return self.lines(stream)
        return self.lines(io.BufferedReader(_WakeableReader(fd, self._wake[0], self)))

    def lines(self, source: Iterable[LineT]) -> Iterator[LineT]:
        """The items of ``source`` until it ends or the run is asked to stop.

        Every item handed out is complete; :attr:`lines_read` counts them and
        :attr:`input_ended` says whether ``source`` itself ran out. Raises what reading
        ``source`` raises (``OSError``).
        """
        iterator = iter(source)
        end: Any = object()
        while not self.stopping:
            try:
                line = next(iterator, end)
            except _Interrupted:
                return  # asked to stop while waiting for input: the input ends here
            if line is end:
                self.input_ended = True
                return
            self.lines_read += 1
            yield line

    # --- the handler ------------------------------------------------------------------------
    def _handle(self, number: int, _frame: FrameType | None) -> None:
        if self.signal_number is None:
            self.signal_number = number
        if not self._deferring:
            raise _Interrupted


class _WakeableReader(io.RawIOBase):
    """A raw reader of ``fd`` that waits in ``select`` on ``fd`` and on the wake-up pipe, and
    raises ``_Interrupted`` instead of reading once the run is asked to stop."""

    def __init__(self, fd: int, wake: int, stop: ServiceRunStop) -> None:
        super().__init__()
        self._fd = fd
        self._wake = wake
        self._stop = stop

    def readable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._fd

    def readinto(self, buffer: Any) -> int:
        while True:
            if self._stop.stopping:
                raise _Interrupted
            ready, _, _ = select.select([self._fd, self._wake], [], [])
            if self._wake in ready:
                try:
                    while os.read(self._wake, 512):
                        pass
                except BlockingIOError:
                    pass
                continue  # the loop runs the signal's Python handler: stopping is set now
            return os.readv(self._fd, [buffer])
