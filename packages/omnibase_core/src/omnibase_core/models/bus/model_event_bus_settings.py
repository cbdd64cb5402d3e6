"""Everything a bus is configured with: its streams and how long operations may take."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from omnibase_core.models.bus.model_bus_stream_settings import ModelBusStreamSettings


class ModelEventBusSettings(BaseModel):
    """The streams a bus produces to and consumes from.

    A topic belongs to exactly one stream (publishing to it appends to that stream's log), and
    stream names are unique. ``operation_timeout_seconds`` bounds one publish (with its
    retries) and one acknowledgement round trip.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    streams: tuple[ModelBusStreamSettings, ...] = Field(min_length=1)
    operation_timeout_seconds: float = Field(default=10.0, gt=0, le=3600)

    @model_validator(mode="after")
    def _unique_names_and_topics(self) -> ModelEventBusSettings:
        names = [stream.name for stream in self.streams]
        if dup := sorted({n for n in names if names.count(n) > 1}):
            raise ValueError(f"stream names listed more than once: {', '.join(dup)}")
        owner: dict[str, str] = {}
        for stream in self.streams:
            for topic in stream.topics:
                if topic in owner:
                    raise ValueError(
                        f"topic {topic!r} is in both streams {owner[topic]!r} and "
                        f"{stream.name!r}; a topic belongs to one stream"
                    )
                owner[topic] = stream.name
        return self

    def stream(self, name: str) -> ModelBusStreamSettings | None:
        """The stream called ``name``, or ``None``."""
        return next((s for s in self.streams if s.name == name), None)

    def stream_of_topic(self, topic: str) -> ModelBusStreamSettings | None:
        """The stream that carries ``topic``, or ``None``."""
        return next((s for s in self.streams if topic in s.topics), None)
