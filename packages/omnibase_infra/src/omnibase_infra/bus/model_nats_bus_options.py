"""How EventBusNats connects and how it creates its JetStream streams."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ModelNatsBusOptions(BaseModel):
    """Connection and storage options of a NATS JetStream bus (the bus's streams and their
    consumer settings are in ``ModelEventBusSettings``).

    - ``replicas``: copies of each partition stream (3 in a production cluster, 1 on a single
      server).
    - ``max_age_seconds``: how long messages are kept (``0``: until removed by an operator);
      it must exceed the longest time a consumer may be down, or its backlog is lost.
    - ``connect_attempts``: tries per server before ``connect`` gives up (each bounded by
      ``connect_timeout_seconds``, ``reconnect_wait_seconds`` apart).
    - ``reconnect_wait_seconds``: pause between reconnection attempts; once connected, the
      client reconnects forever and buffers publishes meanwhile (``pending_bytes``), which the
      bus retries and the server de-duplicates.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    connection_name: str = Field(default="omnibase", min_length=1)
    replicas: int = Field(default=1, ge=1, le=5)
    max_age_seconds: float = Field(default=0.0, ge=0)
    connect_timeout_seconds: float = Field(default=5.0, gt=0)
    connect_attempts: int = Field(default=3, ge=1, le=100)
    reconnect_wait_seconds: float = Field(default=0.25, gt=0)
    pending_bytes: int = Field(default=8 * 1024 * 1024, ge=64 * 1024)
