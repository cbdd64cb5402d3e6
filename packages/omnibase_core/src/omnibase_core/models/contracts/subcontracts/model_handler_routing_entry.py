"""One line of a contract's ``handler_routing.handlers`` list."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from omnibase_core.enums.enum_message_category import EnumMessageCategory

#: A key: surrounding whitespace stripped, must not be empty afterwards.
NonEmptyKey = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]

PRIORITY_MIN = -1000
PRIORITY_MAX = 1000


class ModelHandlerRoutingEntry(BaseModel):
    """Maps one routing key to one handler.

    ``routing_key`` is a payload model name, an operation or a topic glob depending on the
    subcontract's strategy; ``handler_key`` is a ``handler_id`` in the registry. Entries are
    ordered by ``(priority, position in the file)``; lower priority runs first.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", strict=False)

    routing_key: NonEmptyKey
    handler_key: NonEmptyKey
    message_category: EnumMessageCategory | None = None
    priority: int = Field(default=0, ge=PRIORITY_MIN, le=PRIORITY_MAX, strict=True)
    output_events: tuple[NonEmptyKey, ...] = ()
