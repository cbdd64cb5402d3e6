"""A publish whose input was checked and whose partition was chosen."""

from __future__ import annotations

from typing import NamedTuple

from omnibase_core.models.bus.model_bus_stream_settings import ModelBusStreamSettings


class BusPublishTarget(NamedTuple):
    """One message ready to hand to a broker (a tuple: cheap on the publish hot path).

    ``key`` is the normalised key (``None`` for a message sent to a partition directly).
    """

    stream: ModelBusStreamSettings
    partition: int
    topic: str
    key: str | None
    value: bytes
    idempotency_id: str
    headers: dict[str, str]
