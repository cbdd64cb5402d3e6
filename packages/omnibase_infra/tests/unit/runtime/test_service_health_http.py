"""The health and metrics endpoints over real sockets: what each path answers, what hostile
or slow clients get, many clients at once, and that nothing a client does stops the server."""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest

from omnibase_core.enums import EnumCoreErrorCode
from omnibase_core.models.bus import ModelBusUnavailableError
from omnibase_core.models.errors import ModelOnexError
from omnibase_infra.runtime.service_health_http import ServiceHealthHttp, parse_http_address
from omnibase_infra.runtime.service_serve_metrics import ServiceServeMetrics

Response = tuple[int, dict[str, str], bytes]


def parse(raw: bytes) -> Response:
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("ascii").split("\r\n")
    version, status, _reason = status_line.split(" ", 2)
    assert version == "HTTP/1.1"
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status), headers, body


async def exchange(port: int, data: bytes) -> bytes:
    """Send ``data`` and read everything until the server closes."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        await writer.drain()
        return await reader.read()
    finally:
        writer.close()
        await writer.wait_closed()


async def read_response(reader: asyncio.StreamReader) -> Response:
    """One response, read by its ``Content-Length`` (not until the connection closes)."""
    head = await reader.readuntil(b"\r\n\r\n")
    status, headers, _ = parse(head)
    body = await reader.readexactly(int(headers["content-length"]))
    return status, headers, body


async def get(port: int, path: str, method: str = "GET") -> Response:
    request = f"{method} {path} HTTP/1.1\r\nHost: localhost\r\nUser-Agent: test\r\n\r\n"
    return parse(await exchange(port, request.encode("ascii")))


@asynccontextmanager
async def serving(**options: Any) -> AsyncIterator[ServiceHealthHttp]:
    http = ServiceHealthHttp(**options)
    async with http:
        yield http


def run(test: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(asyncio.wait_for(test(), 60))


def ok(detail: str | None = None) -> Callable[[], Awaitable[str | None]]:
    async def check() -> str | None:
        return detail

    return check


def failing(exc: Exception) -> Callable[[], Awaitable[str | None]]:
    async def check() -> str | None:
        raise exc

    return check


class BrokenMetrics:
    content_type = "text/plain"

    def render(self) -> bytes:
        raise RuntimeError("collector exploded")


class BigMetrics:
    content_type = "text/plain"

    def __init__(self, size: int) -> None:
        self.body = b"x" * size

    def render(self) -> bytes:
        return self.body


# --- the endpoints -------------------------------------------------------------------------


def test_livez_answers_while_the_loop_runs() -> None:
    async def test() -> None:
        async with serving() as http:
            status, headers, body = await get(http.port, "/livez")
        assert (status, body) == (200, b"live\n")
        assert headers["content-length"] == "5"
        assert headers["connection"] == "close"
        assert headers["content-type"] == "text/plain; charset=utf-8"

    run(test)


def test_readyz_lists_every_check_when_all_pass() -> None:
    async def test() -> None:
        async with serving() as http:
            http.add_readiness_check("store", ok("postgresql://db/registration"))
            http.add_readiness_check("bus", ok())
            status, _, body = await get(http.port, "/readyz")
        assert status == 200
        assert body.decode() == "ready\nstore: ok: postgresql://db/registration\nbus: ok\n"

    run(test)


def test_readyz_without_checks_is_ready() -> None:
    async def test() -> None:
        async with serving() as http:
            assert await get(http.port, "/readyz") == (
                200,
                {
                    "content-type": "text/plain; charset=utf-8",
                    "content-length": "6",
                    "cache-control": "no-store",
                    "connection": "close",
                },
                b"ready\n",
            )

    run(test)


def test_readyz_names_each_failing_check_and_why() -> None:
    async def never() -> str | None:
        await asyncio.Event().wait()
        return None

    async def test() -> None:
        async with serving(check_timeout_seconds=0.2) as http:
            http.add_readiness_check("store", ok())
            http.add_readiness_check(
                "bus", failing(ModelBusUnavailableError("not connected to NATS at nats://h:4222"))
            )
            http.add_readiness_check("consumers", never)
            http.add_readiness_check("relay", failing(RuntimeError("line one\nline two")))
            status, _, body = await get(http.port, "/readyz")
        assert status == 503
        assert body.decode().splitlines() == [
            "not ready: bus, consumers, relay",
            "store: ok",
            "bus: failed: not connected to NATS at nats://h:4222",
            "consumers: failed: no answer within 0.2s",
            "relay: failed: RuntimeError: line one line two",
        ]

    run(test)


def test_readyz_runs_the_checks_again_for_each_request() -> None:
    state = {"up": False, "calls": 0}

    async def flapping() -> str | None:
        state["calls"] += 1
        if not state["up"]:
            raise ModelOnexError("store down", EnumCoreErrorCode.CONFIGURATION_ERROR)
        return None

    async def test() -> None:
        async with serving() as http:
            http.add_readiness_check("store", flapping)
            first, _, _ = await get(http.port, "/readyz")
            state["up"] = True
            second, _, _ = await get(http.port, "/readyz")
        assert (first, second, state["calls"]) == (503, 200, 2)

    run(test)


def test_a_stopping_service_is_not_ready_but_live() -> None:
    async def test() -> None:
        async with serving() as http:
            http.add_readiness_check("store", ok())
            http.mark_stopping("draining: SIGTERM received")
            ready = await get(http.port, "/readyz")
            live = await get(http.port, "/livez")
        assert (ready[0], ready[2]) == (503, b"not ready: draining: SIGTERM received\n")
        assert live[0] == 200

    run(test)


def test_metrics_are_served_in_the_prometheus_text_format() -> None:
    metrics = ServiceServeMetrics(process_metrics=False)
    metrics.record_messages("applied", count=3)

    async def test() -> None:
        async with serving(metrics=metrics) as http:
            status, headers, body = await get(http.port, "/metrics?debug=1")
            head_status, head_headers, head_body = await get(http.port, "/metrics", "HEAD")
        assert status == 200
        assert headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
        assert b'onex_registration_messages_total{outcome="applied",reason=""} 3.0' in body
        assert int(headers["content-length"]) == len(body)
        assert (head_status, head_body) == (200, b"")
        assert int(head_headers["content-length"]) == len(body)

    run(test)


def test_metrics_that_fail_to_render_give_500_and_the_server_goes_on() -> None:
    async def test() -> None:
        async with serving(metrics=BrokenMetrics()) as http:
            failed = await get(http.port, "/metrics")
            live = await get(http.port, "/livez")
        assert (failed[0], failed[2]) == (500, b"rendering the metrics failed\n")
        assert live[0] == 200

    run(test)


def test_no_metrics_is_404() -> None:
    async def test() -> None:
        async with serving() as http:
            status, _, body = await get(http.port, "/metrics")
        assert (status, body) == (404, b"no metrics are collected\n")

    run(test)


@pytest.mark.parametrize(
    ("method", "path", "status", "body"),
    [
        ("GET", "/", 404, b"no such path: /\n"),
        ("GET", "/livez/", 404, b"no such path: /livez/\n"),
        ("POST", "/nowhere", 404, b"no such path: /nowhere\n"),
        ("POST", "/livez", 405, b"POST not allowed; use GET\n"),
        ("DELETE", "/metrics", 405, b"DELETE not allowed; use GET\n"),
        ("HEAD", "/livez", 200, b""),
        ("GET", "http://example.invalid/livez", 200, b"live\n"),
    ],
)
def test_paths_and_methods(method: str, path: str, status: int, body: bytes) -> None:
    async def test() -> None:
        async with serving() as http:
            got_status, headers, got_body = await get(http.port, path, method)
        assert (got_status, got_body) == (status, body)
        if status == 405:
            assert headers["allow"] == "GET, HEAD"

    run(test)


def test_http_1_0_and_bare_newlines_are_understood() -> None:
    async def test() -> None:
        async with serving() as http:
            raw = await exchange(http.port, b"GET /livez HTTP/1.0\n\n")
        assert parse(raw)[0] == 200

    run(test)


# --- hostile and broken clients ------------------------------------------------------------


@pytest.mark.parametrize(
    ("request_bytes", "status", "body"),
    [
        (b"hello\r\n\r\n", 400, b"malformed request line; expected METHOD PATH HTTP/1.1\n"),
        (b"GET /livez\r\n\r\n", 400, b"malformed request line; expected METHOD PATH HTTP/1.1\n"),
        (b"GET /livez HTTP/2.0\r\n\r\n", 400, b"malformed request line"),
        (b"GET  /livez HTTP/1.1\r\n\r\n", 400, b"malformed request line"),
        (b"G{T /livez HTTP/1.1\r\n\r\n", 400, b"malformed request line"),
        (b"GET /l\xffvez HTTP/1.1\r\n\r\n", 400, b"request line is not ASCII\n"),
        (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\n", 400, b"malformed request line"),
        (b"GET /livez HTTP/1.1\r\nno colon here\r\n\r\n", 400, b"malformed header line\n"),
        (b"GET /livez HTTP/1.1\r\nBad Name: x\r\n\r\n", 400, b"malformed header line\n"),
        (b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\n\r\n", 431, b"request head too large\n"),
        (
            b"GET /livez HTTP/1.1\r\n" + b"X-Pad: " + b"p" * 900 + b"\r\n" * 1 + b"\r\n",
            200,
            b"live\n",
        ),
        (
            b"GET /livez HTTP/1.1\r\n" + (b"X-Pad: " + b"p" * 900 + b"\r\n") * 6 + b"\r\n",
            431,
            b"request head too large\n",
        ),
        (
            b"GET /livez HTTP/1.1\r\n" + b"X: y\r\n" * 101 + b"\r\n",
            431,
            b"more than 100 header lines\n",
        ),
    ],
    ids=[
        "no-target",
        "no-version",
        "http2",
        "double-space",
        "bad-method",
        "non-ascii",
        "tls-hello",
        "header-no-colon",
        "header-bad-name",
        "long-line",
        "one-big-header",
        "head-too-large",
        "too-many-headers",
    ],
)
def test_malformed_requests_are_refused(request_bytes: bytes, status: int, body: bytes) -> None:
    async def test() -> None:
        async with serving(max_header_bytes=4096) as http:
            got = parse(await exchange(http.port, request_bytes))
            after = await get(http.port, "/livez")
        assert got[0] == status
        assert got[2].startswith(body)
        assert after[0] == 200

    run(test)


def test_a_client_too_slow_to_send_its_request_gets_408() -> None:
    async def test() -> None:
        async with serving(read_timeout_seconds=0.3) as http:
            reader, writer = await asyncio.open_connection("127.0.0.1", http.port)
            writer.write(b"GET /livez HTTP/1.1\r\nHost: x\r\n")  # never finishes the head
            await writer.drain()
            raw = await reader.read()
            writer.close()
            await writer.wait_closed()
            after = await get(http.port, "/livez")
        assert parse(raw)[:1] == (408,)
        assert after[0] == 200

    run(test)


def test_a_trickling_client_is_cut_off_at_the_deadline_not_per_byte() -> None:
    async def test() -> None:
        async with serving(read_timeout_seconds=0.5) as http:
            reader, writer = await asyncio.open_connection("127.0.0.1", http.port)

            async def trickle() -> None:
                for byte in b"GET /livez HTTP/1.1\r\n" + b"X-Slow: " + b"z" * 200:
                    writer.write(bytes([byte]))
                    await asyncio.sleep(0.02)  # every byte well within the timeout

            sender = asyncio.create_task(trickle())
            response = await read_response(reader)
            sender.cancel()
            writer.close()
        assert response[0] == 408

    run(test)


def test_a_client_still_sending_after_the_answer_gets_it_whole() -> None:
    async def test() -> None:
        async with serving(max_header_bytes=4096) as http:
            reader, writer = await asyncio.open_connection("127.0.0.1", http.port)
            writer.write(b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\n")  # refused unread
            for _ in range(20):
                writer.write(b"X-More: " + b"m" * 1000 + b"\r\n")
            writer.write(b"\r\n")
            await writer.drain()
            raw = await reader.read()  # to the end: the server half-closes, no reset
            writer.close()
        assert parse(raw)[0] == 431

    run(test)


def test_clients_that_vanish_mid_request_do_not_disturb_the_server() -> None:
    async def test() -> None:
        async with serving() as http:
            for data in (b"", b"GET /liv", b"GET /livez HTTP/1.1\r\nHost: x"):
                _reader, writer = await asyncio.open_connection("127.0.0.1", http.port)
                writer.write(data)
                await writer.drain()
                writer.close()
                await writer.wait_closed()
            # a reset instead of a close
            sock = socket.create_connection(("127.0.0.1", http.port))
            linger_zero = struct.pack("ii", 1, 0)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger_zero)
            sock.sendall(b"GET /metr")
            sock.close()
            status = (await get(http.port, "/livez"))[0]
            while http.open_connections:  # every abandoned connection is let go
                await asyncio.sleep(0.01)
        assert status == 200

    run(test)


def test_a_client_that_never_reads_loses_its_connection() -> None:
    async def test() -> None:
        metrics = BigMetrics(64 * 1024 * 1024)  # far more than the socket buffers hold
        async with serving(metrics=metrics, write_timeout_seconds=0.3) as http:
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.connect(("127.0.0.1", http.port))
            sock.sendall(b"GET /metrics HTTP/1.1\r\n\r\n")  # and never reads
            while http.open_connections:
                await asyncio.sleep(0.02)
            live = await get(http.port, "/livez")
            sock.close()
        assert live[0] == 200

    run(test)


def test_past_max_connections_a_new_client_gets_503_at_once() -> None:
    async def test() -> None:
        async with serving(max_connections=2) as http:
            idle = [await asyncio.open_connection("127.0.0.1", http.port) for _ in range(2)]
            while http.open_connections < 2:
                await asyncio.sleep(0.01)
            reader, writer = await asyncio.open_connection("127.0.0.1", http.port)
            refused = parse(await reader.read())
            writer.close()
            for _, idle_writer in idle:
                idle_writer.close()
            while http.open_connections:
                await asyncio.sleep(0.01)
            after = await get(http.port, "/livez")
        assert (refused[0], refused[2]) == (503, b"too many connections; retry\n")
        assert after[0] == 200

    run(test)


def test_many_clients_at_once_all_get_their_answer() -> None:
    metrics = ServiceServeMetrics(process_metrics=False)
    metrics.set_partitions_owned(7)
    calls = {"n": 0}

    async def store() -> str | None:
        calls["n"] += 1
        await asyncio.sleep(0.05)
        return "reachable"

    async def test() -> None:
        async with serving(metrics=metrics, max_connections=500) as http:
            http.add_readiness_check("store", store)
            paths = ["/livez", "/readyz", "/metrics", "/nope"] * 100
            answers = await asyncio.gather(*(get(http.port, path) for path in paths))
        for path, (status, _, body) in zip(paths, answers, strict=True):
            if path == "/livez":
                assert (status, body) == (200, b"live\n")
            elif path == "/readyz":
                assert (status, body) == (200, b"ready\nstore: ok: reachable\n")
            elif path == "/metrics":
                assert status == 200
                assert b"onex_registration_partitions_owned 7.0" in body
            else:
                assert status == 404
        assert 1 <= calls["n"] <= 100

    run(test)


def test_stop_drops_open_connections_and_stops_listening() -> None:
    async def test() -> None:
        http = ServiceHealthHttp()
        await http.start()
        port = http.port
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while http.open_connections < 1:
            await asyncio.sleep(0.01)
        await http.stop()
        await http.stop()  # idempotent
        assert await reader.read() == b""  # dropped, not answered
        writer.close()
        with pytest.raises(ConnectionRefusedError):
            await asyncio.open_connection("127.0.0.1", port)

    run(test)


# --- bad configuration ---------------------------------------------------------------------


def test_a_port_in_use_is_refused_with_the_address() -> None:
    async def test() -> None:
        async with serving() as first:
            port = first.port
            with pytest.raises(ModelOnexError) as caught:
                await ServiceHealthHttp("127.0.0.1", port).start()
        assert caught.value.error_code is EnumCoreErrorCode.CONFIGURATION_ERROR
        assert caught.value.message.startswith(f"cannot listen for HTTP on 127.0.0.1:{port}: ")
        assert "choose another --http HOST:PORT" in caught.value.message

    run(test)


def test_state_errors() -> None:
    async def test() -> None:
        http = ServiceHealthHttp()
        with pytest.raises(ModelOnexError, match="not listening; start"):
            _ = http.port
        async with http:
            with pytest.raises(ModelOnexError, match=r"already listens on 127\.0\.0\.1:"):
                await http.start()

    run(test)


def test_ipv6_loopback() -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6 on this machine")

    async def test() -> None:
        try:
            http = ServiceHealthHttp("::1", 0)
            await http.start()
        except ModelOnexError as exc:
            pytest.skip(f"no IPv6 loopback here: {exc.message}")
        try:
            assert http.address == f"[::1]:{http.port}"
            reader, writer = await asyncio.open_connection("::1", http.port)
            writer.write(b"GET /livez HTTP/1.1\r\n\r\n")
            assert parse(await reader.read())[0] == 200
            writer.close()
        finally:
            await http.stop()

    run(test)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"port": 70000}, "HTTP port must be a whole number in 0..65535, got 70000"),
        ({"port": -1}, "got -1"),
        ({"host": ""}, "HTTP host must not be empty"),
        ({"read_timeout_seconds": 0}, "read_timeout_seconds must be above 0, got 0"),
        ({"check_timeout_seconds": -1.0}, "check_timeout_seconds must be above 0"),
        ({"max_connections": 0}, "max_connections must be at least 1, got 0"),
        ({"max_header_bytes": 10}, "max_header_bytes must be at least 256, got 10"),
    ],
)
def test_bad_options_are_refused(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ModelOnexError, match=message.replace("(", r"\(").replace(".", r"\.")):
        ServiceHealthHttp(**options)


def test_bad_check_names_are_refused() -> None:
    http = ServiceHealthHttp()
    http.add_readiness_check("store", ok())
    with pytest.raises(ModelOnexError, match="readiness check 'store' is already added"):
        http.add_readiness_check("store", ok())
    with pytest.raises(ModelOnexError, match="readiness check name 'Bus Check' is not a short"):
        http.add_readiness_check("Bus Check", ok())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1:9464", ("127.0.0.1", 9464)),
        ("localhost:0", ("localhost", 0)),
        (":9464", ("0.0.0.0", 9464)),
        ("[::1]:8080", ("::1", 8080)),
    ],
)
def test_parse_http_address(text: str, expected: tuple[str, int]) -> None:
    assert parse_http_address(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("9464", "HTTP address '9464' is not HOST:PORT"),
        ("host:", "is not HOST:PORT"),
        ("host:http", "is not HOST:PORT"),
        ("host:70000", "with a port in 0..65535"),
        ("::1:80", "write an IPv6 host in brackets"),
        ("[nope]:80", "'nope' is not an IPv6 address"),
    ],
)
def test_parse_http_address_refuses(text: str, message: str) -> None:
    with pytest.raises(ModelOnexError) as caught:
        parse_http_address(text)
    assert message in caught.value.message
