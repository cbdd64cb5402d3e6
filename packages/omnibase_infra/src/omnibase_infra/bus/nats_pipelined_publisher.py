"""JetStream publishes, pipelined: send a window of messages, then collect their acks.

nats-py's ``js.publish`` waits for each acknowledgement before the next message; here up to
``WINDOW`` messages are in flight on one reply subscription, which is what lets a producer
keep up with the consumers. A message whose acknowledgement did not come (a lost connection,
a restarting server, no stream answering yet) is sent again with the same ``Nats-Msg-Id``
until ``operation_timeout_seconds`` passes; the server's de-duplication keeps one copy.

Order: messages are sent in the given order on one connection, so a partition stores them in
that order. Only when a message is lost with the connection while a later one of the same
partition got through (both in flight across the loss) can the resend land after it.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
from collections.abc import Sequence
from typing import Any

import nats.errors

from omnibase_core.bus import BusPublishTarget
from omnibase_core.enums import EnumCoreErrorCode
from omnibase_core.models.bus import ModelBusPublishResult, ModelBusUnavailableError
from omnibase_core.models.errors import ModelOnexError
from omnibase_infra.bus.nats_subjects import partition_stream_name, subject_for

#: Most messages in flight at once.
WINDOW = 1024
_MSG_ID = "Nats-Msg-Id"
_RETRYABLE_API_CODES = frozenset({503, 408})
#: The usual acknowledgement, read without a JSON parser: {"stream":..,"seq":..[,"duplicate":true]}
_PUB_ACK = re.compile(
    rb'^\{"stream":"([^"]+)",(?:"domain":"[^"]*",)?"seq":(\d+)(,"duplicate":true)?\}$'
)


class _Attempt:
    """One round of sends: which reply token stands for which target, and what came back."""

    __slots__ = ("done", "left", "replies")

    def __init__(self, size: int) -> None:
        self.replies: list[Any] = [None] * size
        self.left = size
        self.done = asyncio.Event()


class NatsPipelinedPublisher:
    """Publishes checked messages to JetStream over one connection (see the module doc)."""

    def __init__(self, nc: Any, operation_timeout_seconds: float) -> None:
        """``nc`` is a connected nats-py client."""
        self._nc = nc
        self._timeout = operation_timeout_seconds
        self._prefix = ""
        self._sub: Any = None
        self._attempts: dict[str, _Attempt] = {}
        self._attempt_ids = itertools.count()

    async def start(self) -> None:
        """Subscribe to the reply subjects (once)."""
        if self._sub is None:
            self._prefix = self._nc.new_inbox()
            self._sub = await self._nc.subscribe(f"{self._prefix}.>", cb=self._on_reply)

    async def stop(self) -> None:
        """Drop the reply subscription; publishes still waiting fail as unavailable."""
        for attempt in self._attempts.values():
            attempt.done.set()
        self._attempts.clear()
        if self._sub is not None:
            sub, self._sub = self._sub, None
            with contextlib.suppress(nats.errors.Error):
                await sub.unsubscribe()

    async def _on_reply(self, msg: Any) -> None:
        attempt_id, _, slot = msg.subject[len(self._prefix) + 1 :].partition(".")
        attempt = self._attempts.get(attempt_id)
        if attempt is None:
            return
        index = int(slot)
        if attempt.replies[index] is None:
            attempt.replies[index] = msg
            attempt.left -= 1
            if attempt.left == 0:
                attempt.done.set()

    async def publish(
        self, targets: Sequence[BusPublishTarget]
    ) -> tuple[ModelBusPublishResult, ...]:
        """Store every target; results in input order.

        Raises ``ModelBusUnavailableError`` when a message was not acknowledged within the
        operation timeout, ``ModelOnexError`` when the server refused one for good.
        """
        results: list[ModelBusPublishResult | None] = [None] * len(targets)
        for start in range(0, len(targets), WINDOW):
            window = range(start, min(start + WINDOW, len(targets)))
            await self._publish_window(targets, window, results)
        return tuple(r for r in results if r is not None)

    async def _send(self, targets: Sequence[BusPublishTarget], todo: list[int]) -> _Attempt:
        attempt_id = str(next(self._attempt_ids))
        attempt = _Attempt(len(todo))
        self._attempts[attempt_id] = attempt
        reply_prefix = f"{self._prefix}.{attempt_id}."
        publish = self._nc.publish
        for slot, index in enumerate(todo):
            target = targets[index]
            headers = {_MSG_ID: target.idempotency_id}
            if target.headers:
                headers.update(target.headers)
            try:
                await publish(
                    subject_for(target.topic, target.partition, target.key),
                    target.value,
                    reply=f"{reply_prefix}{slot}",
                    headers=headers,
                )
            except nats.errors.Error as exc:
                attempt.replies[slot] = exc
                attempt.left -= 1
        if attempt.left == 0:
            attempt.done.set()
        return attempt

    async def _publish_window(
        self,
        targets: Sequence[BusPublishTarget],
        window: range,
        results: list[ModelBusPublishResult | None],
    ) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._timeout
        todo = list(window)
        pause = 0.05
        last_problem = "no acknowledgement"
        while True:
            attempt = await self._send(targets, todo)
            if not attempt.done.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        attempt.done.wait(), max(0.0, min(2.0, deadline - loop.time()))
                    )
            self._attempts = {k: v for k, v in self._attempts.items() if v is not attempt}
            retry: list[int] = []
            for slot, index in enumerate(todo):
                reply = attempt.replies[slot]
                if reply is None or isinstance(reply, Exception):
                    if reply is not None:
                        last_problem = f"{type(reply).__name__}: {reply}"
                    retry.append(index)
                    continue
                outcome = self._outcome(targets[index], reply)
                if isinstance(outcome, str):
                    last_problem = outcome
                    retry.append(index)
                else:
                    results[index] = outcome
            if not retry:
                return
            if loop.time() + pause >= deadline:
                first = targets[retry[0]]
                subject = subject_for(first.topic, first.partition, first.key)
                raise ModelBusUnavailableError(
                    f"{len(retry)} message(s) not stored within {self._timeout}s (first: id "
                    f"{first.idempotency_id!r} on {subject}); last problem: {last_problem}. "
                    "Publishing again with the same ids is safe",
                    context={"unstored": len(retry)},
                )
            await asyncio.sleep(pause)
            pause = min(pause * 2, 1.0)
            todo = retry

    @staticmethod
    def _outcome(target: BusPublishTarget, reply: Any) -> ModelBusPublishResult | str:
        """The result, or why to retry (a string); raises when the refusal is final."""
        data = reply.data
        fast = _PUB_ACK.match(data)
        if fast is not None and fast.group(1).decode() == partition_stream_name(
            target.stream.name, target.partition
        ):
            return ModelBusPublishResult(
                target.stream.name, target.partition, int(fast.group(2)), fast.group(3) is not None
            )
        headers = reply.headers
        if headers and headers.get("Status") == "503":
            return "no stream answered (is JetStream up and the stream created?)"
        try:
            answer = json.loads(data)
        except ValueError:
            return f"unreadable acknowledgement {data[:80]!r}"
        error = answer.get("error")
        if error is not None:
            if error.get("code") in _RETRYABLE_API_CODES:
                return f"JetStream: {error.get('description')}"
            raise ModelOnexError(
                f"JetStream refused message {target.idempotency_id!r} on "
                f"{subject_for(target.topic, target.partition, target.key)}: "
                f"{error.get('description')} (error {error.get('err_code')})",
                EnumCoreErrorCode.INVALID_STATE,
                {"idempotency_id": target.idempotency_id, "err_code": error.get("err_code")},
            )
        expected = partition_stream_name(target.stream.name, target.partition)
        if answer.get("stream") != expected:
            raise ModelOnexError(
                f"message {target.idempotency_id!r} was stored by JetStream stream "
                f"{answer.get('stream')!r}, not by {expected!r}: another stream captures "
                f"subject {subject_for(target.topic, target.partition, target.key)}; remove "
                "the overlap",
                EnumCoreErrorCode.CONFIGURATION_ERROR,
                {"stream": answer.get("stream")},
            )
        return ModelBusPublishResult(
            target.stream.name,
            target.partition,
            int(answer["seq"]),
            bool(answer.get("duplicate", False)),
        )
