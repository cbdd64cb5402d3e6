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


class NatsPipelinedPublisher:
    """Publishes checked messages to JetStream over one connection (see the module doc)."""

    def __init__(self, nc: Any, operation_timeout_seconds: float) -> None:
        """``nc`` is a connected nats-py client."""
        self._nc = nc
        self._timeout = operation_timeout_seconds
        self._prefix = ""
        self._sub: Any = None
        self._futures: dict[str, asyncio.Future[Any]] = {}
        self._tokens = itertools.count()

    async def start(self) -> None:
        """Subscribe to the reply subject (once)."""
        if self._sub is None:
            self._prefix = self._nc.new_inbox()
            self._sub = await self._nc.subscribe(f"{self._prefix}.*", cb=self._on_reply)

    async def stop(self) -> None:
        """Drop the reply subscription; publishes still waiting fail as unavailable."""
        for future in self._futures.values():
            if not future.done():
                future.cancel()
        self._futures.clear()
        if self._sub is not None:
            sub, self._sub = self._sub, None
            with contextlib.suppress(nats.errors.Error):
                await sub.unsubscribe()

    async def _on_reply(self, msg: Any) -> None:
        token = msg.subject[len(self._prefix) + 1 :]
        future = self._futures.pop(token, None)
        if future is not None and not future.done():
            future.set_result(msg)

    async def publish(
        self, targets: Sequence[BusPublishTarget]
    ) -> tuple[ModelBusPublishResult, ...]:
        """Store every target; results in input order.

        Raises ``ModelBusUnavailableError`` when a message was not acknowledged within the
        operation timeout, ``ModelOnexError`` when the server refused one for good.
        """
        results: list[ModelBusPublishResult | None] = [None] * len(targets)
        for start in range(0, len(targets), WINDOW):
            await self._publish_window(
                targets, range(start, min(start + WINDOW, len(targets))), results
            )
        return tuple(r for r in results if r is not None)

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
            sent: list[tuple[int, asyncio.Future[Any]]] = []
            for index in todo:
                future = loop.create_future()
                token = str(next(self._tokens))
                self._futures[token] = future
                target = targets[index]
                headers = {_MSG_ID: target.idempotency_id, **target.headers}
                try:
                    await self._nc.publish(
                        subject_for(target.topic, target.partition, target.key),
                        target.value,
                        reply=f"{self._prefix}.{token}",
                        headers=headers,
                    )
                except nats.errors.Error as exc:
                    self._futures.pop(token, None)
                    future.cancel()
                    last_problem = f"{type(exc).__name__}: {exc}"
                sent.append((index, future))
            pending = [f for _, f in sent if not f.cancelled()]
            if pending:
                await asyncio.wait(pending, timeout=max(0.0, min(2.0, deadline - loop.time())))
            retry: list[int] = []
            for index, future in sent:
                if not future.done() or future.cancelled():
                    future.cancel()
                    retry.append(index)
                    continue
                outcome = self._outcome(targets[index], future.result())
                if isinstance(outcome, str):
                    last_problem = outcome
                    retry.append(index)
                else:
                    results[index] = outcome
            for token in [t for t, f in self._futures.items() if f.cancelled()]:
                del self._futures[token]
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
        headers = reply.headers
        if headers and headers.get("Status") == "503":
            return "no stream answered (is JetStream up and the stream created?)"
        try:
            answer = json.loads(reply.data)
        except ValueError:
            return f"unreadable acknowledgement {reply.data[:80]!r}"
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
        return ModelBusPublishResult.model_construct(
            stream=target.stream.name,
            partition=target.partition,
            sequence=int(answer["seq"]),
            duplicate=bool(answer.get("duplicate", False)),
        )
