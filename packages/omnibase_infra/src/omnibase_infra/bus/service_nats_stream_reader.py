"""Read what a bus's JetStream partition streams hold, without consuming it.

Reading goes through the stream API (``STREAM.INFO`` and ``STREAM.MSG.GET`` by sequence), never
through a consumer: no durable consumer's delivery or acknowledgement state changes, so a
reader can check a live bus's output while its real consumers keep their place.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import nats
import nats.errors
from nats.js.errors import NotFoundError

from omnibase_core.models.bus import ModelBusStreamSettings, ModelBusUnavailableError
from omnibase_infra.bus.model_nats_stored_message import ModelNatsStoredMessage
from omnibase_infra.bus.nats_subjects import partition_stream_name
from omnibase_infra.bus.nats_url import check_nats_url, unreachable
from omnibase_infra.utils.url_masking import mask_url

#: Message reads in flight at once.
_WINDOW = 128


class ServiceNatsStreamReader:
    """Counts and reads the messages of partition streams on one NATS server.

    Open it with :meth:`connect`, close it with :meth:`close`; use it from the event loop that
    connected it.
    """

    def __init__(self, nc: Any, url: str, timeout_seconds: float) -> None:
        """Wrap a connected nats-py client; use :meth:`connect` instead."""
        self._nc = nc
        self._jsm = nc.jetstream(timeout=timeout_seconds)
        self._url = mask_url(url)
        self._timeout = timeout_seconds

    @classmethod
    async def connect(cls, url: str, timeout_seconds: float = 5.0) -> ServiceNatsStreamReader:
        """Connect to ``url`` (``nats://host:port``), one attempt bounded by ``timeout_seconds``.

        Raises ``ModelOnexError(INVALID_PARAMETER)`` for a URL that is not ``nats://`` or
        ``tls://``, ``ModelBusUnavailableError`` when no server answers.
        """
        check_nats_url(url)
        try:
            nc = await nats.connect(
                servers=[url],
                name="omnibase stream reader",
                allow_reconnect=False,
                max_reconnect_attempts=1,
                connect_timeout=timeout_seconds,
                error_cb=_quiet,
            )
        except (TimeoutError, nats.errors.Error, OSError) as exc:
            raise unreachable(url, exc) from None
        return cls(nc, url, timeout_seconds)

    async def close(self) -> None:
        """Close the connection. Idempotent; never raises for a connection already gone."""
        with contextlib.suppress(TimeoutError, nats.errors.Error):
            await self._nc.close()

    async def message_counts(self, stream: ModelBusStreamSettings) -> tuple[int, ...]:
        """Messages stored in each partition stream of ``stream`` (``0`` for one that does not
        exist). Raises ``ModelBusUnavailableError`` when the server does not answer."""
        counts = []
        for index in range(stream.partitions):
            info = await self._info(partition_stream_name(stream.name, index))
            counts.append(0 if info is None else int(info.state.messages))
        return tuple(counts)

    async def read(
        self, stream: ModelBusStreamSettings, index: int
    ) -> tuple[ModelNatsStoredMessage, ...]:
        """Every message partition ``index`` of ``stream`` holds, in stream order (empty when
        the partition stream does not exist). Raises ``ModelBusUnavailableError`` when the
        server does not answer."""
        name = partition_stream_name(stream.name, index)
        info = await self._info(name)
        if info is None or not info.state.messages:
            return ()
        first, last = int(info.state.first_seq), int(info.state.last_seq)
        found: list[ModelNatsStoredMessage] = []
        for start in range(first, last + 1, _WINDOW):
            chunk = range(start, min(last, start + _WINDOW - 1) + 1)
            read = await asyncio.gather(*(self._message(name, sequence) for sequence in chunk))
            found.extend(message for message in read if message is not None)
        return tuple(found)

    async def _info(self, name: str) -> Any:
        try:
            return await self._jsm.stream_info(name)
        except NotFoundError:
            return None
        except (TimeoutError, nats.errors.Error) as exc:
            raise self._unavailable(f"reading stream {name!r}", exc) from None

    async def _message(self, name: str, sequence: int) -> ModelNatsStoredMessage | None:
        try:
            raw = await self._jsm.get_msg(name, seq=sequence)
        except NotFoundError:
            return None  # removed (deleted, or aged out) since the stream was read
        except (TimeoutError, nats.errors.Error) as exc:
            raise self._unavailable(f"reading message {sequence} of stream {name!r}", exc) from None
        headers = raw.headers or {}
        msg_id = headers.get("Nats-Msg-Id")
        return ModelNatsStoredMessage(
            sequence=sequence,
            subject=raw.subject or "",
            idempotency_id=None if msg_id is None else str(msg_id),
            value=raw.data or b"",
        )

    def _unavailable(self, doing: str, exc: BaseException) -> ModelBusUnavailableError:
        return ModelBusUnavailableError(
            f"{doing} on NATS at {self._url} failed: {type(exc).__name__}: {exc}",
            context={"url": self._url},
        )


async def _quiet(_exc: Exception) -> None:
    """Connection errors are reported once, by :meth:`ServiceNatsStreamReader.connect`."""


__all__ = ["ServiceNatsStreamReader"]
