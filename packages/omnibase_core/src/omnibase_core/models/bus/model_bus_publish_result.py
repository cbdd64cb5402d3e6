"""What the bus answered to a publish."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ModelBusPublishResult:
    """Where a published message is stored.

    ``duplicate`` is true when the idempotency id was already stored within the duplicate
    window: nothing new was appended and ``sequence`` is the earlier copy's position. A frozen
    dataclass (one per published message, built from the broker's answer).
    """

    stream: str
    partition: int
    sequence: int
    duplicate: bool = False
