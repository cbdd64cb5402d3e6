"""Publish wire envelopes (JSON lines) to an event bus, on the partition of their node.

An envelope whose payload has a ``node_id`` is published with that node id (canonical form)
as its key, so it lands on ``<topic>.<k>.<node_id>`` with ``k`` the stores' partition of the
node; one without (a tick) is published to every partition of its topic's stream, copy ``k``
with the idempotency id ``<envelope_id>/<k>``. The idempotency id is the ``envelope_id``, so
publishing a file again stores nothing new. Order is kept: envelopes are sent in file order.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from uuid import UUID

from omnibase_core.enums import EnumCoreErrorCode
from omnibase_core.models.bus import ModelBusOutboundMessage, ModelBusPublishResult
from omnibase_core.models.errors import ModelOnexError
from omnibase_core.protocols import ProtocolEventBus
from omnibase_infra.bus.model_bus_producer_report import ModelBusProducerReport


class ServiceBusProducer:
    """Publishes envelopes to ``bus`` in batches of ``batch_size`` (see the module doc)."""

    def __init__(self, bus: ProtocolEventBus, batch_size: int = 1000) -> None:
        if batch_size < 1:
            raise ModelOnexError(
                f"batch_size must be at least 1, got {batch_size}",
                EnumCoreErrorCode.INVALID_PARAMETER,
            )
        self._bus = bus
        self._batch_size = batch_size

    async def publish_lines(
        self,
        lines: Iterable[str | bytes],
        source: str = "<input>",
        *,
        on_refused: Callable[[int, str], None] | None = None,
    ) -> ModelBusProducerReport:
        """Publish one envelope per non-blank line, in order.

        A line that is not an envelope the bus can route (not UTF-8, not JSON, no topic or
        envelope id, a node id that is not a UUID, a topic the bus does not carry) is refused
        with ``source:line: problem``. Without ``on_refused`` the first one raises
        ``ModelOnexError(INVALID_PARAMETER)`` after the lines before it were published; with it,
        each refused line is passed to ``on_refused(line_number, message)``, counted in the
        report's ``refused`` and skipped. Raises ``ModelBusUnavailableError`` when the bus
        cannot store a batch (publishing the same lines again is safe).
        """
        counts = {
            "envelopes": 0,
            "keyed": 0,
            "broadcast": 0,
            "copies": 0,
            "duplicates": 0,
            "refused": 0,
        }
        pending: list[ModelBusOutboundMessage] = []

        async def flush() -> None:
            if pending:
                self._tally(counts, await self._bus.publish_batch(pending))
                pending.clear()

        async def refuse(number: int, exc: ModelOnexError, where: str) -> None:
            await flush()  # what came before the bad line is published
            if exc.error_code != EnumCoreErrorCode.INVALID_PARAMETER:
                raise exc
            message = exc.message if exc.message.startswith(where) else f"{where}: {exc.message}"
            if on_refused is None:
                raise _error(where, message.removeprefix(f"{where}: ")) from None
            counts["refused"] += 1
            on_refused(number, message)

        for number, raw in enumerate(lines, start=1):
            where = f"{source}:{number}"
            try:
                text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
            except UnicodeDecodeError as exc:
                bad = _error(
                    where, f"not UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})"
                )
                await refuse(number, bad, where)
                continue
            if not text.strip():
                continue
            try:
                topic, envelope_id, node_id = self._route(text, where)
                if node_id is not None:
                    self._bus.partition_for(topic, node_id)  # a bad topic fails on its line
            except ModelOnexError as exc:
                await refuse(number, exc, where)
                continue
            value = text.rstrip("\r\n").encode("utf-8")
            if node_id is None:
                await flush()
                try:
                    results = await self._bus.publish_to_all_partitions(
                        topic, value, idempotency_id=envelope_id
                    )
                except ModelOnexError as exc:
                    await refuse(number, exc, where)
                    continue
                counts["envelopes"] += 1
                counts["broadcast"] += 1
                self._tally(counts, results)
                continue
            counts["envelopes"] += 1
            pending.append(
                ModelBusOutboundMessage(
                    topic=topic, value=value, key=node_id, idempotency_id=envelope_id
                )
            )
            counts["keyed"] += 1
            if len(pending) >= self._batch_size:
                await flush()
        await flush()
        return ModelBusProducerReport(**counts)

    async def publish_envelope(self, envelope: Mapping[str, Any]) -> ModelBusProducerReport:
        """Publish one envelope given as a mapping (as it would appear on a line)."""
        return await self.publish_lines([json.dumps(dict(envelope), default=str)], "<envelope>")

    @staticmethod
    def _tally(counts: dict[str, int], results: Iterable[ModelBusPublishResult]) -> None:
        for result in results:
            counts["copies"] += 1
            counts["duplicates"] += result.duplicate

    @staticmethod
    def _route(text: str, where: str) -> tuple[str, str, str | None]:
        """``(topic, envelope id, canonical node id or None)`` of one line."""
        try:
            wire = json.loads(text)
        except ValueError as exc:
            raise _error(where, f"not JSON ({exc})") from None
        if not isinstance(wire, dict):
            raise _error(where, f"an envelope is a JSON object, got {type(wire).__name__}")
        topic = wire.get("topic")
        if not isinstance(topic, str) or not topic:
            raise _error(where, f"field 'topic' must be a non-empty string, got {topic!r}")
        envelope_id = wire.get("envelope_id")
        if not isinstance(envelope_id, str) or not envelope_id:
            raise _error(
                where,
                f"field 'envelope_id' must be a non-empty string (it is the idempotency id), "
                f"got {envelope_id!r}",
            )
        payload = wire.get("payload")
        if not isinstance(payload, dict):
            raise _error(where, f"field 'payload' must be an object, got {payload!r}")
        node_id = payload.get("node_id")
        if node_id is None:
            return topic, envelope_id, None
        try:
            return topic, envelope_id, str(UUID(str(node_id)))
        except ValueError:
            raise _error(where, f"field 'payload.node_id' is not a UUID: {node_id!r}") from None


def _error(where: str, problem: str) -> ModelOnexError:
    return ModelOnexError(f"{where}: {problem}", EnumCoreErrorCode.INVALID_PARAMETER)
