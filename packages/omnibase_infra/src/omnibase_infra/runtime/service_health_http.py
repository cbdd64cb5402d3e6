"""The service's health and metrics endpoints: a small HTTP/1.1 server on ``asyncio``.

- ``GET /livez``: ``200 live`` while the event loop runs (a loop that is stuck answers nothing).
- ``GET /readyz``: runs every readiness check (store, bus, consumers, ...) concurrently, each
  within ``check_timeout_seconds``: ``200`` with one line per check when all pass, ``503``
  naming each failing check and why; ``503 stopping`` once :meth:`mark_stopping` was called.
  Requests arriving while a round of checks runs share it, so a flood of probes runs the
  checks once, not once each.
- ``GET /metrics``: the metrics' text exposition with its content type (``404`` without
  metrics).
- ``HEAD`` on the same paths: the same status and headers, no body. Other paths ``404``, other
  methods ``405`` (with ``Allow``).

One request per connection (``Connection: close``). Hostile clients cannot stall or crash it:
the request head must arrive whole within ``read_timeout_seconds`` (else ``408``) and within
``max_header_bytes`` (else ``431``), a malformed one gets ``400``, a response is written
within ``write_timeout_seconds`` (else the connection is dropped), and past
``max_connections`` open connections a new one gets ``503`` at once. No error of a connection
reaches the service.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import socket
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from omnibase_core.enums import EnumCoreErrorCode
from omnibase_core.models.errors import ModelOnexError
from omnibase_infra.runtime.protocol_metrics_exposition import ProtocolMetricsExposition

_log = logging.getLogger(__name__)

#: A readiness check: returns a short detail (or ``None``) when ready, raises saying why not.
ReadinessCheck = Callable[[], Awaitable[str | None]]

_CHECK_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
_METHOD = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,32}$")
_VERSION = re.compile(r"^HTTP/1\.[01]$")
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_MAX_HEADERS = 100
_MAX_DETAIL = 300
#: After answering, how long and how much of what a client still sends is read and discarded
#: before closing: closing with unread input would reset the connection, and the client could
#: lose the answer (a request refused before it was read whole, a client still sending).
_LINGER_SECONDS = 1.0
_LINGER_BYTES = 1 << 20
_TEXT = "text/plain; charset=utf-8"
_REASONS = {
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    503: "Service Unavailable",
}
_PATHS = ("/livez", "/readyz", "/metrics")


class _BadRequestError(Exception):
    """The request cannot be answered as asked; ``status`` says how it is refused."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class ServiceHealthHttp:
    """Serves ``/livez``, ``/readyz`` and ``/metrics`` on ``host:port`` (see the module doc).

    Use it from one event loop: ``await start()`` ... ``await stop()``, or ``async with``.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        metrics: ProtocolMetricsExposition | None = None,
        read_timeout_seconds: float = 5.0,
        write_timeout_seconds: float = 10.0,
        check_timeout_seconds: float = 5.0,
        max_connections: int = 64,
        max_header_bytes: int = 8192,
    ) -> None:
        """Configure the server; nothing listens before :meth:`start`.

        ``port`` 0 picks a free port (read it from :attr:`port` after starting; give a literal
        address as ``host`` then, not a name that resolves to several). Raises
        ``ModelOnexError(INVALID_PARAMETER)`` for a port outside 0..65535, a timeout that is not
        positive, fewer than one connection or fewer than 256 header bytes.
        """
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
            raise _invalid(f"HTTP port must be a whole number in 0..65535, got {port!r}")
        if not host:
            raise _invalid("HTTP host must not be empty; give an address such as 127.0.0.1")
        for what, value in (
            ("read_timeout_seconds", read_timeout_seconds),
            ("write_timeout_seconds", write_timeout_seconds),
            ("check_timeout_seconds", check_timeout_seconds),
        ):
            if not value > 0:
                raise _invalid(f"{what} must be above 0, got {value!r}")
        if max_connections < 1:
            raise _invalid(f"max_connections must be at least 1, got {max_connections!r}")
        if max_header_bytes < 256:
            raise _invalid(f"max_header_bytes must be at least 256, got {max_header_bytes!r}")
        self._host = host
        self._requested_port = port
        self._metrics = metrics
        self._read_timeout = read_timeout_seconds
        self._write_timeout = write_timeout_seconds
        self._check_timeout = check_timeout_seconds
        self._max_connections = max_connections
        self._max_header_bytes = max_header_bytes
        self._checks: dict[str, ReadinessCheck] = {}
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self._round: asyncio.Task[tuple[bool, str]] | None = None
        self._stopping: str | None = None

    # --- configuration ---------------------------------------------------------------------

    def add_readiness_check(self, name: str, check: ReadinessCheck) -> None:
        """Run ``check`` on every ``/readyz``, reported as ``name``.

        The check returns a short detail (or ``None``) when ready and raises when not: the
        exception's message is what ``/readyz`` says. Raises
        ``ModelOnexError(INVALID_PARAMETER)`` for a name that is not a short lower-case code,
        or one already added.
        """
        if not _CHECK_NAME.match(name):
            raise _invalid(
                f"readiness check name {name!r} is not a short code (lower-case letters, "
                "digits, '_' and '-', at most 32, starting with a letter)"
            )
        if name in self._checks:
            raise _invalid(f"readiness check {name!r} is already added")
        self._checks[name] = check

    def mark_stopping(self, reason: str = "stopping") -> None:
        """From now on ``/readyz`` answers ``503`` with ``reason`` (``/livez`` stays ``200``):
        a service shutting down is taken out of rotation while it drains."""
        self._stopping = _one_line(reason)

    # --- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen on ``host:port``.

        Raises ``ModelOnexError(CONFIGURATION_ERROR)`` naming the address when it cannot be
        bound (in use, not an address of this machine, no permission), and
        ``ModelOnexError(INVALID_STATE)`` when already started.
        """
        if self._server is not None:
            raise ModelOnexError(
                f"the HTTP server already listens on {self.address}",
                EnumCoreErrorCode.INVALID_STATE,
            )
        try:
            self._server = await asyncio.start_server(
                self._accept,
                self._host,
                self._requested_port,
                limit=self._max_header_bytes,
            )
        except (OSError, UnicodeError) as exc:
            detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise ModelOnexError(
                f"cannot listen for HTTP on {_join(self._host, self._requested_port)}: "
                f"{detail}; choose another --http HOST:PORT",
                EnumCoreErrorCode.CONFIGURATION_ERROR,
            ) from None

    async def stop(self) -> None:
        """Stop listening and drop open connections (a readiness round in flight is
        cancelled). Idempotent; raises nothing."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for task in list(self._connections):
            task.cancel()
        if self._round is not None:
            self._round.cancel()
        if self._connections:
            await asyncio.gather(*self._connections, return_exceptions=True)
        if server is not None:
            with contextlib.suppress(Exception):
                await server.wait_closed()

    async def __aenter__(self) -> ServiceHealthHttp:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        """The port bound (the one picked when started with port 0).

        Raises ``ModelOnexError(INVALID_STATE)`` before :meth:`start`.
        """
        if self._server is None or not self._server.sockets:
            raise ModelOnexError(
                "the HTTP server is not listening; start() it first",
                EnumCoreErrorCode.INVALID_STATE,
            )
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def open_connections(self) -> int:
        """Connections being served right now."""
        return len(self._connections)

    @property
    def address(self) -> str:
        """``host:port`` as bound (IPv6 hosts in brackets)."""
        return _join(self._host, self.port)

    # --- connections -----------------------------------------------------------------------

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            if len(self._connections) > self._max_connections:
                await self._respond(writer, 503, "too many connections; retry\n", head_only=False)
                return
            await self._serve(reader, writer)
        except asyncio.CancelledError:  # stop(): drop the connection at once
            writer.transport.abort()
            raise
        except Exception as exc:  # a connection never takes the service down
            _log.debug("HTTP connection failed: %s: %s", type(exc).__name__, exc)
        finally:
            self._connections.discard(task)
            await self._close(reader, writer)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(self._read_timeout):
                method, path = await self._read_head(reader)
        except TimeoutError:
            await self._respond(writer, 408, "request head not received in time\n", False)
            return
        except _BadRequestError as bad:
            await self._respond(writer, bad.status, bad.reason + "\n", False)
            return
        except (asyncio.IncompleteReadError, ConnectionError):
            return  # the client went away before finishing its request
        head_only = method == "HEAD"
        if path not in _PATHS:
            await self._respond(writer, 404, f"no such path: {_one_line(path[:100])}\n", head_only)
            return
        if method not in {"GET", "HEAD"}:
            await self._respond(
                writer, 405, f"{method} not allowed; use GET\n", False, allow="GET, HEAD"
            )
            return
        if path == "/livez":
            await self._respond(writer, 200, "live\n", head_only)
        elif path == "/readyz":
            ready, text = await self._readiness()
            await self._respond(writer, 200 if ready else 503, text, head_only)
        else:
            await self._serve_metrics(writer, head_only)

    async def _read_head(self, reader: asyncio.StreamReader) -> tuple[str, str]:
        """``(method, path)`` of the request head; the headers are read and checked, not
        kept. Raises ``_BadRequestError`` (400 or 431)."""
        budget = self._max_header_bytes
        line = await self._read_line(reader, budget)
        budget -= len(line)
        parts = line.rstrip(b"\r\n").split(b" ")
        if len(parts) != 3:
            raise _BadRequestError(400, "malformed request line; expected METHOD PATH HTTP/1.1")
        try:
            method, target, version = (part.decode("ascii") for part in parts)
        except UnicodeDecodeError:
            raise _BadRequestError(400, "request line is not ASCII") from None
        if not _METHOD.match(method) or not _VERSION.match(version) or not target:
            raise _BadRequestError(400, "malformed request line; expected METHOD PATH HTTP/1.1")
        for _ in range(_MAX_HEADERS + 1):
            line = await self._read_line(reader, budget)
            budget -= len(line)
            header = line.rstrip(b"\r\n")
            if not header:
                path = urlsplit(target).path if "://" in target else target.split("?", 1)[0]
                return method, path
            name, colon, _value = header.partition(b":")
            if not colon or not _HEADER_NAME.match(name.decode("latin-1")):
                raise _BadRequestError(400, "malformed header line")
        raise _BadRequestError(431, f"more than {_MAX_HEADERS} header lines")

    @staticmethod
    async def _read_line(reader: asyncio.StreamReader, budget: int) -> bytes:
        try:
            line = await reader.readuntil(b"\n")
        except asyncio.LimitOverrunError:
            raise _BadRequestError(431, "request head too large") from None
        if len(line) > budget:
            raise _BadRequestError(431, "request head too large")
        return line

    async def _serve_metrics(self, writer: asyncio.StreamWriter, head_only: bool) -> None:
        if self._metrics is None:
            await self._respond(writer, 404, "no metrics are collected\n", head_only)
            return
        try:
            body = self._metrics.render()
            content_type = self._metrics.content_type
        except Exception as exc:
            _log.error("rendering the metrics failed: %s: %s", type(exc).__name__, exc)
            await self._respond(writer, 500, "rendering the metrics failed\n", head_only)
            return
        await self._respond(writer, 200, body, head_only, content_type=content_type)

    # --- readiness -------------------------------------------------------------------------

    async def _readiness(self) -> tuple[bool, str]:
        if self._stopping is not None:
            return False, f"not ready: {self._stopping}\n"
        if self._round is None or self._round.done():
            self._round = asyncio.create_task(self._run_checks())
        return await asyncio.shield(self._round)

    async def _run_checks(self) -> tuple[bool, str]:
        names = list(self._checks)
        results = await asyncio.gather(*(self._run_check(self._checks[n]) for n in names))
        failing = [name for name, (ok, _) in zip(names, results, strict=True) if not ok]
        lines = ["ready" if not failing else f"not ready: {', '.join(failing)}"]
        for name, (ok, detail) in zip(names, results, strict=True):
            state = "ok" if ok else "failed"
            lines.append(f"{name}: {state}{f': {detail}' if detail else ''}")
        return not failing, "\n".join(lines) + "\n"

    async def _run_check(self, check: ReadinessCheck) -> tuple[bool, str]:
        try:
            async with asyncio.timeout(self._check_timeout):
                detail = await check()
        except TimeoutError:
            return False, f"no answer within {self._check_timeout:g}s"
        except ModelOnexError as exc:
            return False, _one_line(exc.message)
        except Exception as exc:
            return False, _one_line(f"{type(exc).__name__}: {exc}")
        return True, _one_line(detail) if detail else ""

    # --- writing ---------------------------------------------------------------------------

    async def _respond(
        self,
        writer: asyncio.StreamWriter,
        status: int,
        body: str | bytes,
        head_only: bool,
        *,
        content_type: str = _TEXT,
        allow: str | None = None,
    ) -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        head = [
            f"HTTP/1.1 {status} {_REASONS[status]}",
            f"Content-Type: {content_type}",
            f"Content-Length: {len(data)}",
            "Cache-Control: no-store",
            "Connection: close",
        ]
        if allow is not None:
            head.append(f"Allow: {allow}")
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode("ascii"))
        if not head_only:
            writer.write(data)
        try:
            async with asyncio.timeout(self._write_timeout):
                await writer.drain()
        except TimeoutError:
            writer.transport.abort()  # a client that does not read loses its connection

    async def _close(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if writer.transport.is_closing():
            return
        try:
            if writer.can_write_eof():
                writer.write_eof()  # the answer is complete; the client sees the end of it
            async with asyncio.timeout(min(_LINGER_SECONDS, self._read_timeout)):
                discarded = 0
                while discarded < _LINGER_BYTES and (chunk := await reader.read(65536)):
                    discarded += len(chunk)
        except (TimeoutError, OSError):
            pass
        writer.close()
        try:
            async with asyncio.timeout(self._write_timeout):
                await writer.wait_closed()
        except (TimeoutError, OSError):
            writer.transport.abort()


def parse_http_address(text: str) -> tuple[str, int]:
    """``(host, port)`` of ``HOST:PORT`` (``[::1]:9000`` for IPv6; ``:9000`` means all
    addresses). Raises ``ModelOnexError(INVALID_PARAMETER)`` saying what is wrong."""
    host, colon, port_text = text.rpartition(":")
    if not colon or not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
        raise _invalid(f"HTTP address {text!r} is not HOST:PORT with a port in 0..65535")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
        try:
            socket.inet_pton(socket.AF_INET6, host)
        except OSError:
            raise _invalid(f"HTTP address {text!r}: {host!r} is not an IPv6 address") from None
    elif ":" in host:
        raise _invalid(f"HTTP address {text!r}: write an IPv6 host in brackets, [::1]:PORT")
    return host or "0.0.0.0", int(port_text)


def _join(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _one_line(text: str) -> str:
    text = " ".join(str(text).split())
    text = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)
    return text[:_MAX_DETAIL] + ("..." if len(text) > _MAX_DETAIL else "")


def _invalid(message: str) -> ModelOnexError:
    return ModelOnexError(message, EnumCoreErrorCode.INVALID_PARAMETER)
