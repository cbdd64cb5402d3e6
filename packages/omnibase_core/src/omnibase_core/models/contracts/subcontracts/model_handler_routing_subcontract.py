"""The ``handler_routing`` section of a node contract."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from omnibase_core.enums.enum_handler_routing_strategy import EnumHandlerRoutingStrategy
from omnibase_core.models.contracts.subcontracts.model_handler_routing_entry import (
    ModelHandlerRoutingEntry,
)
from omnibase_core.models.primitives.model_sem_ver import ModelSemVer

_DEFAULT_VERSION = ModelSemVer(major=1, minor=0, patch=0)


class ModelHandlerRoutingSubcontract(BaseModel):
    """Declares which handler serves which message.

    Rejects a section with neither handlers nor a default, and the same
    ``(routing_key, handler_key)`` pair twice; the same routing key with different handlers
    is fan-out. :meth:`ordered_entries` gives the entries in routing order.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: ModelSemVer = _DEFAULT_VERSION
    routing_strategy: EnumHandlerRoutingStrategy = EnumHandlerRoutingStrategy.PAYLOAD_TYPE_MATCH
    handlers: tuple[ModelHandlerRoutingEntry, ...] = Field(default=())
    default_handler: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)] | None
    ) = None

    @model_validator(mode="after")
    def _check_entries(self) -> ModelHandlerRoutingSubcontract:
        if not self.handlers and self.default_handler is None:
            raise ValueError(
                "handler_routing declares no handlers and no default_handler; "
                "add at least one entry under 'handlers' or set 'default_handler'"
            )
        seen: dict[tuple[str, str], int] = {}
        for index, entry in enumerate(self.handlers):
            pair = (entry.routing_key, entry.handler_key)
            if pair in seen:
                raise ValueError(
                    f"handlers[{index}] repeats routing_key {entry.routing_key!r} -> "
                    f"handler_key {entry.handler_key!r} from handlers[{seen[pair]}]; remove "
                    "the duplicate (one routing key with different handlers is fan-out)"
                )
            seen[pair] = index
        return self

    def ordered_entries(self) -> tuple[ModelHandlerRoutingEntry, ...]:
        """Entries sorted by ``(priority, position in the file)``: the routing order."""
        return tuple(sorted(self.handlers, key=lambda entry: entry.priority))
