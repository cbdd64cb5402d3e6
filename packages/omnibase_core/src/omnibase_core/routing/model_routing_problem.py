"""One disagreement between a contract's handler routing and the handler registry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

RoutingProblemKind = Literal["unknown_handler", "ambiguous_handler", "category_mismatch"]


@dataclass(frozen=True, slots=True)
class ModelRoutingProblem:
    """A routing entry (or the default handler) that cannot be resolved.

    ``location`` is ``handlers[i]`` (``i``, also in ``index``, the position in the file) or
    ``default_handler`` (``index`` and ``routing_key`` ``None``). ``str()`` gives the text shown
    to users; tools that locate problems themselves (``onex contract validate``) use ``kind``,
    ``index`` and ``handler_key``.
    """

    kind: RoutingProblemKind
    location: str
    routing_key: str | None
    handler_key: str
    detail: str
    index: int | None = None

    def __str__(self) -> str:
        if self.routing_key is None:
            return f"{self.location} (handler_key {self.handler_key!r}): {self.detail}"
        return (
            f"{self.location} (routing_key {self.routing_key!r}, "
            f"handler_key {self.handler_key!r}): {self.detail}"
        )

    def as_dict(self) -> dict[str, str | None]:
        """The problem as plain data, for error context and tools."""
        return {
            "kind": self.kind,
            "location": self.location,
            "routing_key": self.routing_key,
            "handler_key": self.handler_key,
            "detail": self.detail,
        }
