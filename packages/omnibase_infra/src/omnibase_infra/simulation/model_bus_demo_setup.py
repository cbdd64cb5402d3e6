"""How a bus demo ran: the bus, its partitions, the serve processes and the traffic."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ModelBusDemoSetup(BaseModel):
    """The bus side of a demo run over a real bus.

    ``bus_url`` is masked (no password); ``serve_processes`` is how many processes the demo
    started (``0``: it used processes already running); ``published`` counts the messages the
    producer sent (each tick once per partition), ``dropped_duplicates`` those the server
    de-duplicated by their idempotency id, ``output_messages`` the messages found on the output
    stream afterwards.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    bus_url: str
    partitions: int = Field(ge=1)
    serve_processes: int = Field(ge=0)
    published: int = Field(ge=0)
    dropped_duplicates: int = Field(ge=0)
    output_messages: int = Field(ge=0)
