"""One thing a bus setup did to a JetStream stream or consumer."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict


class ModelNatsSetupStep(BaseModel):
    """A stream or durable consumer that setup ``created``, ``updated`` (settings brought in
    line) or found ``unchanged``; ``stream`` is the JetStream stream (the consumer's stream for a
    consumer)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["stream", "consumer"]
    stream: str
    name: str
    action: Literal["created", "updated", "unchanged"]

    def __str__(self) -> str:
        where = self.name if self.kind == "stream" else f"{self.stream}/{self.name}"
        return f"{self.kind} {where}: {self.action}"
