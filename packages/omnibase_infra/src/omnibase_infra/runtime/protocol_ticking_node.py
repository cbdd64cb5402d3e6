"""The optional capability of a node that wants the clock: it builds its own tick envelopes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol, runtime_checkable
from uuid import UUID

from omnibase_core.models.events import ModelEventEnvelope
from omnibase_infra.models import ModelPartition


@runtime_checkable
class ProtocolTickingNode(Protocol):
    """A node that is ticked by whoever owns its partitions (a bus runner).

    The runner decides when (every tick interval, on a grid) and the identity of each tick;
    the node decides what a tick is. The envelope must carry ``envelope_id`` and ``at`` as given
    (its ``envelope_timestamp`` is ``at``) and be a pure function of the arguments: two owners
    ticking the same partition at the same grid time build the same envelope, which the inbox
    then applies once.
    """

    def tick_envelope(
        self, partition: ModelPartition, at: datetime, sequence: int, envelope_id: UUID
    ) -> ModelEventEnvelope[Any]:
        """The tick of ``partition`` at ``at`` (timezone-aware), number ``sequence`` of the
        grid, identified by ``envelope_id``."""
        ...
