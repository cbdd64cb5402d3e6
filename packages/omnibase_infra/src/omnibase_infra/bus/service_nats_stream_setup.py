"""Create a bus's JetStream streams and durable consumers, idempotently.

For each bus stream ``S`` with ``P`` partitions and each ``k < P``:

- the JetStream stream ``S-k`` captures ``<topic>.<k>.*`` for each topic, file storage,
  limits retention, the stream's duplicate window, the configured replicas and max age. Its
  description records ``k`` and ``P``, so a bus started with another ``P`` is refused (keys
  would change partition) instead of silently splitting a node's messages;
- the durable pull consumer ``<group>`` on ``S-k`` acknowledges cumulatively (``AckPolicy
  all``), with the stream's ack wait, ``max_ack_pending = max_batch``, unlimited deliveries.

Run again with the same settings it changes nothing; with new topics, windows, ack waits or
batch sizes it updates what the server allows to update. What cannot change (the partition
count, a consumer's ack policy) is reported with what to do.

A producer runs it with ``producer=True``: partition streams that are missing are created, the
partition count of existing ones is checked, and nothing else is touched (no stream update, no
consumer), so publishing never changes the settings the consumers were set up with.
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from nats.js import api
from nats.js.errors import APIError, NotFoundError

from omnibase_core.enums import EnumCoreErrorCode
from omnibase_core.models.bus import ModelBusStreamSettings, ModelEventBusSettings
from omnibase_core.models.errors import ModelOnexError
from omnibase_infra.bus.model_nats_bus_options import ModelNatsBusOptions
from omnibase_infra.bus.model_nats_setup_step import ModelNatsSetupStep
from omnibase_infra.bus.nats_subjects import partition_stream_name, partition_stream_subjects

_CONCURRENCY = 16
_Action = Literal["created", "updated", "unchanged"]


def stream_description(stream: ModelBusStreamSettings, partition: int) -> str:
    """The description a partition stream is created with (it records ``k`` and ``P``)."""
    return f"omnibase bus stream {stream.name}: partition {partition} of {stream.partitions}"


class ServiceNatsStreamSetup:
    """Brings a server's streams and consumers in line with a bus's settings."""

    def __init__(self, jsm: Any, options: ModelNatsBusOptions) -> None:
        """``jsm`` is a nats-py JetStream context or manager (``nc.jetstream()``)."""
        self._jsm = jsm
        self._options = options

    async def ensure(
        self, settings: ModelEventBusSettings, *, producer: bool = False
    ) -> tuple[ModelNatsSetupStep, ...]:
        """Create or update every partition stream and consumer of ``settings``; with
        ``producer``, only create missing partition streams (see the module doc).

        Returns what was done to each stream and consumer, streams in order of name and
        partition, each followed by its consumer. Raises ``ModelOnexError
        (CONFIGURATION_ERROR)`` for a conflict the server cannot resolve, naming the stream or
        consumer and what to do.
        """
        limit = asyncio.Semaphore(_CONCURRENCY)

        async def one(stream: ModelBusStreamSettings, partition: int) -> list[ModelNatsSetupStep]:
            async with limit:
                name = partition_stream_name(stream.name, partition)
                action = await self._ensure_stream(stream, partition, update=not producer)
                steps = [ModelNatsSetupStep(kind="stream", stream=name, name=name, action=action)]
                if not producer:
                    action = await self._ensure_consumer(stream, partition)
                    steps.append(
                        ModelNatsSetupStep(
                            kind="consumer", stream=name, name=stream.group, action=action
                        )
                    )
                return steps

        done = await asyncio.gather(
            *(one(s, k) for s in settings.streams for k in range(s.partitions))
        )
        return tuple(step for steps in done for step in steps)

    def _stream_config(self, stream: ModelBusStreamSettings, partition: int) -> api.StreamConfig:
        return api.StreamConfig(
            name=partition_stream_name(stream.name, partition),
            description=stream_description(stream, partition),
            subjects=partition_stream_subjects(stream.topics, partition),
            retention=api.RetentionPolicy.LIMITS,
            storage=api.StorageType.FILE,
            discard=api.DiscardPolicy.OLD,
            num_replicas=self._options.replicas,
            duplicate_window=stream.duplicate_window_seconds,
            max_age=self._options.max_age_seconds,
        )

    async def _ensure_stream(
        self, stream: ModelBusStreamSettings, partition: int, *, update: bool
    ) -> _Action:
        wanted = self._stream_config(stream, partition)
        name = wanted.name
        try:
            info = await self._jsm.stream_info(name)
        except NotFoundError:
            await self._call(self._jsm.add_stream(wanted), f"creating stream {name!r}")
            return "created"
        have = info.config
        if have.description != wanted.description:
            raise ModelOnexError(
                f"JetStream stream {name!r} exists as {have.description!r}, not as "
                f"{wanted.description!r}: the partition count of bus stream {stream.name!r} "
                "cannot change (keys would move between partitions). Keep the old count, or "
                "drain the stream and delete its partition streams first",
                EnumCoreErrorCode.CONFIGURATION_ERROR,
                {"stream": name},
            )
        if update and (
            sorted(have.subjects or []) != sorted(wanted.subjects or [])
            or have.duplicate_window != wanted.duplicate_window
            or (have.max_age or 0) != wanted.max_age
            or have.num_replicas != wanted.num_replicas
        ):
            await self._call(self._jsm.update_stream(wanted), f"updating stream {name!r}")
            return "updated"
        return "unchanged"

    async def _ensure_consumer(self, stream: ModelBusStreamSettings, partition: int) -> _Action:
        name = partition_stream_name(stream.name, partition)
        wanted = api.ConsumerConfig(
            durable_name=stream.group,
            description=f"omnibase bus consumer group {stream.group} of {name}",
            deliver_policy=api.DeliverPolicy.ALL,
            ack_policy=api.AckPolicy.ALL,
            ack_wait=stream.ack_wait_seconds,
            max_ack_pending=stream.max_batch,
            max_deliver=-1,
        )
        try:
            info = await self._jsm.consumer_info(name, stream.group)
        except NotFoundError:
            await self._call(
                self._jsm.add_consumer(name, wanted), f"creating consumer {stream.group!r}"
            )
            return "created"
        have = info.config
        if have.ack_policy != api.AckPolicy.ALL or have.deliver_subject:
            raise ModelOnexError(
                f"consumer {stream.group!r} of JetStream stream {name!r} exists with ack policy "
                f"{have.ack_policy!r}{' (push)' if have.deliver_subject else ''}; the bus needs a "
                f"pull consumer acknowledging cumulatively. Delete it (nats consumer rm {name} "
                f"{stream.group}) or use another consumer group",
                EnumCoreErrorCode.CONFIGURATION_ERROR,
                {"stream": name, "consumer": stream.group},
            )
        if have.ack_wait != wanted.ack_wait or have.max_ack_pending != wanted.max_ack_pending:
            await self._call(
                self._jsm.add_consumer(name, wanted), f"updating consumer {stream.group!r}"
            )
            return "updated"
        return "unchanged"

    @staticmethod
    async def _call(request: Any, doing: str) -> Any:
        try:
            return await request
        except APIError as exc:
            raise ModelOnexError(
                f"{doing} failed: {exc.description or exc} (JetStream error {exc.err_code})",
                EnumCoreErrorCode.CONFIGURATION_ERROR,
                {"code": exc.code, "err_code": exc.err_code},
            ) from None
