"""Pulling one partition's durable consumer: one subscription, one next-message request per
batch.

nats-py's ``fetch()`` waits for each message with its own timer (about 84 us of client CPU per
message); here a single inbox subscription collects deliveries and one
``$JS.API.CONSUMER.MSG.NEXT`` request asks for a batch: ``{"batch": n, "expires": t,
"no_wait": true}``, which the server ends as soon as it delivered what it had (status 408), at
once when it has nothing and ``t`` is over (408), or when ``n`` messages went out (no
status). A request always carries ``expires``: without it, a request made while
``max_ack_pending`` is reached is parked by the server and would deliver later, unasked.

No overtaking: the consumer's stream captures exactly one partition, so its deliveries carry
every stream sequence. A delivery is handed out only if every earlier sequence was
acknowledged (the consumer's ack floor, read when the partition is opened and re-read when a
gap shows) or handed out by this consumer since. A delivery past a gap (messages outstanding
at a stale owner) is held back until the gap closes: the stale owner acknowledges them or
they expire and come here. Held deliveries that expire meanwhile come again, harmlessly.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import deque
from typing import Any

import nats.errors
from nats.js.errors import NotFoundError

from omnibase_core.enums import EnumCoreErrorCode
from omnibase_core.models.bus import (
    ModelBusMessage,
    ModelBusStreamSettings,
    ModelBusUnavailableError,
)
from omnibase_core.models.errors import ModelOnexError
from omnibase_infra.bus.nats_subjects import NO_KEY_TOKEN, partition_stream_name

_MSG_ID = "Nats-Msg-Id"
_STATUS = "Status"
#: Added to a request's expiry before the client stops waiting for the server's answer.
_GRACE_SECONDS = 1.0
_MIN_EXPIRES_NS = 1_000_000
#: How often a consumer holding deliveries back re-reads the ack floor.
GAP_RECHECK_SECONDS = 0.5
#: A pause in deliveries this long ends a burst (the server sends a batch back to back).
LINGER_SECONDS = 0.002


class NatsPartitionConsumer:
    """Fetches one partition of one bus stream for one consumer group."""

    def __init__(self, nc: Any, jsm: Any, stream: ModelBusStreamSettings, index: int) -> None:
        self._nc = nc
        self._jsm = jsm
        self._stream = stream
        self._stream_name = stream.name
        self._index = index
        self._nats_stream = partition_stream_name(stream.name, index)
        self._next_subject = f"$JS.API.CONSUMER.MSG.NEXT.{self._nats_stream}.{stream.group}"
        self._inbox = ""
        self._sub: Any = None
        self._arrivals: deque[ModelBusMessage] = deque()
        self._ready: deque[ModelBusMessage] = deque()
        self._held: dict[int, ModelBusMessage] = {}
        self._handed_upto = 0
        self._request_open = False
        self._request_left = 0
        self._request_deadline = 0.0
        self._activity = asyncio.Event()
        self._failure: str | None = None

    @property
    def held_back(self) -> int:
        """Deliveries held back behind a gap (messages outstanding at another consumer)."""
        return len(self._held)

    async def open(self) -> None:
        """Subscribe to the delivery inbox and read the consumer's ack floor.

        Raises ``ModelOnexError(CONFIGURATION_ERROR)`` when the consumer does not exist,
        ``ModelBusUnavailableError`` when the server does not answer.
        """
        self._handed_upto = await self._ack_floor()
        self._inbox = self._nc.new_inbox()
        self._sub = await self._nc.subscribe(self._inbox, cb=self._on_message)

    async def close(self) -> None:
        """Stop receiving; whatever was delivered and not acknowledged is redelivered later."""
        if self._sub is not None:
            sub, self._sub = self._sub, None
            with contextlib.suppress(nats.errors.Error):
                await sub.unsubscribe()
        self._arrivals.clear()
        self._ready.clear()
        self._held.clear()
        self._request_open = False
        self._activity.set()

    async def _ack_floor(self) -> int:
        try:
            info = await self._jsm.consumer_info(
                self._nats_stream, self._stream.group, timeout=_GRACE_SECONDS * 5
            )
        except NotFoundError:
            raise ModelOnexError(
                f"JetStream consumer {self._stream.group!r} of stream {self._nats_stream!r} "
                "does not exist; connect with setup=True (or run the bus setup) first",
                EnumCoreErrorCode.CONFIGURATION_ERROR,
                {"stream": self._nats_stream, "consumer": self._stream.group},
            ) from None
        except (TimeoutError, nats.errors.Error) as exc:
            raise ModelBusUnavailableError(
                f"reading consumer {self._stream.group!r} of {self._nats_stream!r} failed: "
                f"{type(exc).__name__}: {exc}"
            ) from None
        return int(info.ack_floor.stream_seq) if info.ack_floor else 0

    async def _on_message(self, msg: Any) -> None:
        reply = msg.reply
        if not reply:  # a status: the request is over
            headers = msg.headers or {}
            status = headers.get(_STATUS, "")
            if status == "409" or status == "503":
                description = headers.get("Description", "")
                self._failure = f"status {status} {description}".strip()
            self._request_open = False
            self._activity.set()
            return
        # The hot path: inline what parse_ack_reply and split_subject do, for speed.
        tokens = reply.split(".")
        offset = 2 if len(tokens) == 9 else 4
        try:
            topic, _, key = msg.subject.rsplit(".", 2)
            sequence = int(tokens[offset + 3])
            deliveries = int(tokens[offset + 2])
            stored_at_ns = int(tokens[offset + 5])
        except (ValueError, IndexError):
            return
        headers = msg.headers
        if headers:
            idempotency_id = headers.pop(_MSG_ID, None)
        else:
            headers, idempotency_id = {}, None
        self._arrivals.append(
            ModelBusMessage(
                self._stream_name,
                self._index,
                topic,
                None if key == NO_KEY_TOKEN else key,
                msg.data,
                sequence,
                deliveries,
                headers,
                idempotency_id,
                reply,
                stored_at_ns,
            )
        )
        self._request_left -= 1
        if self._request_left <= 0:
            self._request_open = False
        self._activity.set()

    def _sort_arrivals(self) -> None:
        """Move arrivals to ``ready`` in order, or to ``held`` when past a gap."""
        ready, held = self._ready, self._held
        while self._arrivals:
            message = self._arrivals.popleft()
            sequence = message.sequence
            if sequence <= self._handed_upto + 1:
                ready.append(message)
                if sequence == self._handed_upto + 1:
                    self._handed_upto = sequence
                    while self._handed_upto + 1 in held:
                        self._handed_upto += 1
                        ready.append(held.pop(self._handed_upto))
            else:
                held[sequence] = message

    def _take(self, max_messages: int) -> tuple[ModelBusMessage, ...]:
        self._sort_arrivals()
        ready = self._ready
        if len(ready) <= max_messages:
            batch = tuple(ready)
            ready.clear()
            return batch
        return tuple(ready.popleft() for _ in range(max_messages))

    async def _close_gap(self) -> None:
        """Re-read the ack floor: a stale owner may have acknowledged what we wait for."""
        floor = await self._ack_floor()
        if floor <= self._handed_upto:
            return
        self._handed_upto = floor
        for sequence in [s for s in self._held if s <= floor]:
            del self._held[sequence]
        while self._handed_upto + 1 in self._held:
            self._handed_upto += 1
            self._ready.append(self._held.pop(self._handed_upto))

    async def fetch(self, max_messages: int, timeout_seconds: float) -> tuple[ModelBusMessage, ...]:
        """Up to ``max_messages`` in order; waits up to ``timeout_seconds`` for the first.

        A request the server keeps open after a first burst (it does while the consumer is at
        ``max_ack_pending``) is not waited out: once deliveries pause for ``LINGER_SECONDS``
        the burst is returned, and what the request delivers later is returned by the next
        fetch. Raises ``ModelBusUnavailableError`` when not connected or the consumer is gone.
        """
        batch = self._take(max_messages)
        if batch:
            return batch
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_seconds
        while True:
            if self._failure is not None:
                failure, self._failure = self._failure, None
                raise ModelBusUnavailableError(
                    f"pulling {self._nats_stream!r} consumer {self._stream.group!r}: {failure}"
                )
            if self._held:
                await self._close_gap()
                batch = self._take(max_messages)
                if batch:
                    return batch
            # A request sent now expires with this fetch (sooner while deliveries are held
            # back, to re-read the ack floor): allow its closing status time to arrive. One
            # left open by an earlier fetch is waited on only until the deadline.
            until = deadline
            if not self._request_open:
                wait = deadline - loop.time()
                if self._held:
                    wait = min(wait, GAP_RECHECK_SECONDS)
                await self._request(max_messages, wait)
                until = min(deadline, loop.time() + wait) + _GRACE_SECONDS
            await self._wait_for_delivery(min(self._request_deadline, until))
            batch = self._take(max_messages)
            if batch:
                return batch
            if loop.time() >= deadline:
                return ()

    async def _wait_for_delivery(self, until: float) -> None:
        """Wait until the open request ends, or a burst of deliveries pauses, or ``until``."""
        loop = asyncio.get_running_loop()
        activity = self._activity
        while self._request_open and not self._arrivals:
            wait = until - loop.time()
            if wait <= 0:
                break
            activity.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(activity.wait(), wait)
        while self._request_open and self._arrivals:
            activity.clear()
            try:
                await asyncio.wait_for(activity.wait(), LINGER_SECONDS)
            except TimeoutError:
                break
        if self._request_open and loop.time() >= self._request_deadline:
            self._request_open = False  # the server never answered: ask again next time

    async def _request(self, max_messages: int, wait_seconds: float) -> None:
        if not self._nc.is_connected:
            raise ModelBusUnavailableError(
                f"not connected to NATS: cannot pull {self._nats_stream!r} (reconnecting)"
            )
        expires = max(_MIN_EXPIRES_NS, int(wait_seconds * 1e9))
        body = json.dumps({"batch": max_messages, "expires": expires, "no_wait": True})
        self._request_open = True
        self._request_left = max_messages
        self._request_deadline = asyncio.get_running_loop().time() + expires / 1e9 + _GRACE_SECONDS
        try:
            await self._nc.publish(self._next_subject, body.encode(), reply=self._inbox)
        except nats.errors.Error as exc:
            self._request_open = False
            raise ModelBusUnavailableError(
                f"pulling {self._nats_stream!r} failed: {type(exc).__name__}: {exc}"
            ) from None

    def forget_through(self, sequence: int) -> None:
        """Drop buffered deliveries at or below an acknowledged sequence (duplicates now)."""
        if self._ready and self._ready[0].sequence <= sequence:
            self._ready = deque(m for m in self._ready if m.sequence > sequence)
        self._handed_upto = max(self._handed_upto, sequence)
