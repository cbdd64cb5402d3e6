"""The bus layout of the registration orchestrator, from its contract's ``topics`` section.

Two bus streams, both partitioned by node id over the same ``P``:

- ``onex-registration`` carries the ``subscribed`` topics (introspections, heartbeats, ticks):
  what ``onex-registration publish`` sends and ``onex-registration serve`` consumes;
- ``onex-registration-events`` carries the ``published`` topics: the outbox relay's output.

Every command that touches the bus builds its settings here, so producers, consumers and the
relay always agree on stream names, topics and partitions.
"""

from __future__ import annotations

from typing import Any, Final

from pydantic import ValidationError

from omnibase_core.enums import EnumCoreErrorCode
from omnibase_core.models.bus import ModelBusStreamSettings, ModelEventBusSettings
from omnibase_core.models.errors import ModelOnexError
from omnibase_infra.nodes.node_registration_orchestrator.models import ModelRegistrationContract

#: The bus stream of the orchestrator's input.
INPUT_STREAM: Final = "onex-registration"
#: The bus stream of the events the orchestrator emits.
OUTPUT_STREAM: Final = "onex-registration-events"


def registration_bus_settings(
    contract: ModelRegistrationContract,
    partitions: int,
    *,
    max_batch: int = 256,
    ack_wait_seconds: float = 30.0,
    duplicate_window_seconds: float = 120.0,
    operation_timeout_seconds: float = 10.0,
) -> ModelEventBusSettings:
    """The bus settings of the orchestrator: its input and output streams with ``partitions``
    partitions each, topics from ``contract``'s ``topics`` section.

    ``max_batch`` is the input's batch (and unacknowledged-message) bound, ``ack_wait_seconds``
    how long a delivered input message may stay unacknowledged. Raises
    ``ModelOnexError(CONTRACT_VALIDATION_ERROR)`` when the contract lists no subscribed or
    published topics, ``ModelOnexError(INVALID_PARAMETER)`` for a value outside the bus's
    bounds (naming it).
    """
    topics = _topics(contract)
    try:
        return ModelEventBusSettings(
            streams=(
                ModelBusStreamSettings(
                    name=INPUT_STREAM,
                    topics=topics["subscribed"],
                    partitions=partitions,
                    max_batch=max_batch,
                    ack_wait_seconds=ack_wait_seconds,
                    duplicate_window_seconds=duplicate_window_seconds,
                ),
                ModelBusStreamSettings(
                    name=OUTPUT_STREAM,
                    topics=topics["published"],
                    partitions=partitions,
                    duplicate_window_seconds=duplicate_window_seconds,
                ),
            ),
            operation_timeout_seconds=operation_timeout_seconds,
        )
    except ValidationError as exc:
        problem = exc.errors(include_url=False)[0]
        where = ".".join(str(part) for part in problem["loc"])
        raise ModelOnexError(
            f"registration bus settings: {where}: {problem['msg']} (got {problem['input']!r})",
            EnumCoreErrorCode.INVALID_PARAMETER,
            {"field": where},
        ) from None


def _topics(contract: ModelRegistrationContract) -> dict[str, tuple[str, ...]]:
    section: Any = contract.node_sections.get("topics")
    found: dict[str, tuple[str, ...]] = {}
    for kind in ("subscribed", "published"):
        listed = section.get(kind) if isinstance(section, dict) else None
        if (
            not isinstance(listed, list)
            or not listed
            or not all(isinstance(t, str) for t in listed)
        ):
            raise ModelOnexError(
                f"contract {contract.name}: topics.{kind} must list the topics (strings) the "
                "node " + ("reads" if kind == "subscribed" else "emits"),
                EnumCoreErrorCode.CONTRACT_VALIDATION_ERROR,
                {"section": f"topics.{kind}"},
            )
        found[kind] = tuple(listed)
    return found


__all__ = ["INPUT_STREAM", "OUTPUT_STREAM", "registration_bus_settings"]
