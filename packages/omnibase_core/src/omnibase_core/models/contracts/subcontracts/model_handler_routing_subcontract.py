"""The ``handler_routing`` section of a node contract."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from omnibase_core.enums.enum_handler_execution_mode import EnumHandlerExecutionMode
from omnibase_core.enums.enum_handler_routing_strategy import EnumHandlerRoutingStrategy
from omnibase_core.models.contracts.contract_field_error import field_error
from omnibase_core.models.contracts.subcontracts.model_handler_dependency import (
    ModelHandlerDependency,
)
from omnibase_core.models.contracts.subcontracts.model_handler_routing_entry import (
    STRATEGY_HINT,
    ModelHandlerRoutingEntry,
    strategy_hint,
)
from omnibase_core.models.primitives.contract_key import ContractKey
from omnibase_core.models.primitives.model_sem_ver import ModelSemVer


class ModelHandlerRoutingSubcontract(BaseModel):
    """Declares which handler serves which message.

    ``version`` is required (``load_contract`` fills it from the contract's
    ``contract_version`` when the section omits it). ``routing_strategy`` and
    ``execution_mode`` are read in any letter case. Each entry may be written in the
    canonical or the live shape (see :class:`ModelHandlerRoutingEntry`).

    Rejects a section with neither handlers nor a default, and the same
    ``(routing_key, handler_key)`` pair twice; the same routing key with different handlers
    is fan-out. :meth:`ordered_entries` gives the entries in routing order and
    :meth:`build_routing_table` the routing key -> handler keys table.

    Upstream ONEX sections may also carry ``execution_mode``, ``aggregation_strategy``,
    ``partial_failure_handling``, ``max_timeout_seconds`` and ``handler_dependencies``. They
    are read and typed, but this framework gives them no behaviour: fan-out handlers always
    run one after another in routing order and the first failure stops the message, outputs
    are returned as a list in that order, no timeout is applied, and handler dependencies are
    not injected (``onex contract validate`` warns when a value asks for something else).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: ModelSemVer
    routing_strategy: EnumHandlerRoutingStrategy = EnumHandlerRoutingStrategy.PAYLOAD_TYPE_MATCH
    handlers: tuple[ModelHandlerRoutingEntry, ...] = Field(default=())
    default_handler: ContractKey | None = None
    execution_mode: EnumHandlerExecutionMode | None = None
    aggregation_strategy: ContractKey | None = None
    partial_failure_handling: bool | None = Field(default=None, strict=True)
    max_timeout_seconds: float | None = Field(default=None, gt=0, allow_inf_nan=False)
    handler_dependencies: dict[ContractKey, ModelHandlerDependency] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _hand_strategy_to_entries(cls, data: Any) -> Any:
        """Give each raw entry the section's strategy: a live entry's routing key depends on
        it. Entry objects are re-read so they follow this section's strategy."""
        if not isinstance(data, dict):
            return data
        handlers = data.get("handlers")
        if not isinstance(handlers, list | tuple):
            return data
        hint = strategy_hint(data.get("routing_strategy"))
        entries: list[Any] = []
        for item in handlers:
            raw = item.model_dump() if isinstance(item, ModelHandlerRoutingEntry) else item
            entries.append({**raw, STRATEGY_HINT: hint} if isinstance(raw, dict) else raw)
        return {**data, "handlers": entries}

    @field_validator("routing_strategy", "execution_mode", mode="before")
    @classmethod
    def _any_case(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("max_timeout_seconds", mode="before")
    @classmethod
    def _seconds_not_bool(cls, value: Any) -> Any:
        if isinstance(value, bool):
            raise field_error("", f"expected a number of seconds, got {value!r}", "write e.g. 30")
        return value

    @model_validator(mode="after")
    def _check_entries(self) -> ModelHandlerRoutingSubcontract:
        if not self.handlers and self.default_handler is None:
            raise field_error(
                "",
                "handler_routing declares no handlers and no default_handler",
                "add at least one entry under 'handlers' or set 'default_handler'",
            )
        seen: dict[tuple[str, str], int] = {}
        for index, entry in enumerate(self.handlers):
            pair = (entry.routing_key, entry.handler_key)
            if pair in seen:
                raise field_error(
                    f"handlers[{index}]",
                    f"repeats {entry.describe()} from handlers[{seen[pair]}]",
                    "remove the duplicate (one routing key with different handlers is fan-out)",
                )
            seen[pair] = index
        return self

    def ordered_entries(self) -> tuple[ModelHandlerRoutingEntry, ...]:
        """Entries sorted by ``(priority, position in the file)``: the routing order."""
        return tuple(sorted(self.handlers, key=lambda entry: entry.priority))

    def build_routing_table(self) -> dict[str, list[str]]:
        """Routing key -> handler keys, both in routing order; a new dict on every call.

        Keys appear in the order their first entry is routed; a routing key with several
        entries lists every handler key (fan-out) in routing order. The default handler is
        not part of the table.
        """
        table: dict[str, list[str]] = {}
        for entry in self.ordered_entries():
            table.setdefault(entry.routing_key, []).append(entry.handler_key)
        return table
