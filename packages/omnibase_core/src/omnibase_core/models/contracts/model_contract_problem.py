"""One located problem found in a contract file."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class ModelContractProblem(BaseModel):
    """A problem at ``path:line:column`` in a contract, about the value at ``field``.

    ``line`` and ``column`` are 1-based. ``field`` is the dotted path of the value inside the
    contract (``handler_routing.handlers[2].priority``), empty when the problem concerns the
    file as a whole. ``severity`` is ``"error"`` for anything that makes the contract invalid
    and ``"warning"`` for lint findings that do not.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    path: str
    line: int = Field(ge=1)
    column: int = Field(ge=1)
    field: str = ""
    message: str
    hint: str = ""
    severity: Literal["error", "warning"] = "error"

    def format(self) -> str:
        """``path:line:column: field: message; hint`` (without ``field:`` when it is empty,
        without ``; hint`` when there is none)."""
        where = f"{self.path}:{self.line}:{self.column}"
        text = f"{self.message}; {self.hint}" if self.hint else self.message
        if self.field:
            return f"{where}: {self.field}: {text}"
        return f"{where}: {text}"

    def sort_key(self) -> tuple[int, int]:
        """File order: by line, then column."""
        return (self.line, self.column)

    def as_context(self) -> dict[str, Any]:
        """A plain dict (``path``, ``line``, ``column``, ``field``, ``message``, ``hint``,
        ``severity``)."""
        return self.model_dump()
