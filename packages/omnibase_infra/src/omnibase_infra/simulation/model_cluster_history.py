"""A simulated cluster history: the envelopes and the truth behind them."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict

from omnibase_core.models.events import ModelEventEnvelope
from omnibase_infra.simulation.model_simulated_node import ModelSimulatedNode


class ModelClusterHistory(BaseModel):
    """Envelopes in delivery order (``envelope_timestamp`` ascending) plus the ground truth.

    ``redeliveries`` counts envelopes delivered a second time (same ``envelope_id``) and
    ``stale_deliveries`` heartbeats from an older epoch delivered after a restart; a correct
    runtime reports them as duplicates and ignored messages respectively.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    seed: int
    started_at: AwareDatetime
    ended_at: AwareDatetime
    envelopes: tuple[ModelEventEnvelope[Any], ...]
    nodes: tuple[ModelSimulatedNode, ...]
    redeliveries: int = 0
    stale_deliveries: int = 0

    def node(self, node_id: UUID) -> ModelSimulatedNode | None:
        """The simulated node with ``node_id``, or ``None``."""
        return next((n for n in self.nodes if n.node_id == node_id), None)

    @property
    def total_crashes(self) -> int:
        """Crashes over all nodes."""
        return sum(n.crashes for n in self.nodes)

    @property
    def total_stalls(self) -> int:
        """Stalls over all nodes (each, like a crash, must expire the node exactly once)."""
        return sum(n.stalls for n in self.nodes)

    def count_by_payload_type(self) -> dict[str, int]:
        """How many envelopes of each payload type the history holds."""
        counts: dict[str, int] = {}
        for envelope in self.envelopes:
            counts[envelope.payload_type] = counts.get(envelope.payload_type, 0) + 1
        return counts

    def duration(self) -> float:
        """Simulated seconds covered."""
        return (self.ended_at - self.started_at).total_seconds()
