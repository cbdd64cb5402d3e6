"""The routing shape ``onex contract validate`` read from one contract."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, Literal

from omnibase_core.contracts.contract_file_reader import read_contract_file
from omnibase_core.contracts.yaml_position_loader import YamlPositionLoader
from omnibase_core.models.contracts.subcontracts.model_handler_routing_entry import (
    raw_entry_shape,
)
from omnibase_core.models.contracts.subcontracts.model_handler_routing_subcontract import (
    ModelHandlerRoutingSubcontract,
)

ContractShape = Literal["canonical", "live", "canonical+live", "none", "unknown"]


@dataclass(frozen=True, slots=True)
class ModelContractShape:
    """How a contract's ``handler_routing`` entries are written.

    ``shape`` is ``canonical`` (every entry ``routing_key``/``handler_key``), ``live`` (every
    entry ``handler: {name, module}`` plus its strategy's key), ``canonical+live`` (entries of
    both shapes), ``none`` (no ``handler_routing`` or no entries) or ``unknown`` (the file
    could not be read as YAML). ``mixed`` counts entries that mix both shapes (an error) and
    ``unshaped`` entries written in neither.
    """

    shape: ContractShape
    canonical: int = 0
    live: int = 0
    mixed: int = 0
    unshaped: int = 0
    has_routing: bool = False

    @classmethod
    def of_data(
        cls, data: Any, routing: ModelHandlerRoutingSubcontract | None = None
    ) -> ModelContractShape:
        """The shape of parsed contract data (``routing`` is the validated section, if any)."""
        section = data.get("handler_routing") if isinstance(data, dict) else None
        counts: Counter[str]
        if routing is not None:
            counts = Counter(entry.shape for entry in routing.handlers)
        elif isinstance(section, dict) and isinstance(section.get("handlers"), list):
            counts = Counter(raw_entry_shape(entry) for entry in section["handlers"])
        else:
            counts = Counter()
        canonical, live = counts["canonical"], counts["live"]
        if canonical and live:
            shape: ContractShape = "canonical+live"
        elif canonical or live:
            shape = "canonical" if canonical else "live"
        else:
            shape = "none"
        return cls(
            shape,
            canonical,
            live,
            counts["mixed"],
            counts["none"],
            has_routing=section is not None or routing is not None,
        )

    @classmethod
    def of_file(cls, path: str) -> ModelContractShape:
        """The shape of the contract file at ``path``; ``unknown`` when it cannot be parsed."""
        loader = YamlPositionLoader(caller="onex contract validate")
        try:
            return cls.of_data(loader.load_bytes(read_contract_file(path, loader), path).data)
        except Exception:
            return cls.unknown()

    @classmethod
    def unknown(cls) -> ModelContractShape:
        """The shape of a file that could not be read."""
        return cls("unknown")

    def describe(self) -> str:
        """One phrase for the terminal, e.g. ``live shape, 3 entries``."""
        if self.shape == "unknown":
            return "routing shape unknown: the file could not be read"
        if not self.has_routing:
            return "no handler_routing"
        total = self.canonical + self.live + self.mixed + self.unshaped
        if self.shape == "canonical+live":
            text = f"canonical and live shapes: {self.canonical} canonical, {self.live} live"
        elif self.shape == "none":
            text = "handler_routing without entries" if not total else "no shape"
        else:
            text = f"{self.shape} shape, {_entries(self.canonical + self.live)}"
        if self.mixed:
            text += f", {_entries(self.mixed)} mixing both shapes"
        if self.unshaped:
            text += f", {_entries(self.unshaped)} in neither shape"
        return text

    def as_dict(self) -> dict[str, Any]:
        """The shape as plain data for ``--json``."""
        return {
            "shape": self.shape,
            "entries": {
                "canonical": self.canonical,
                "live": self.live,
                "mixed": self.mixed,
                "neither": self.unshaped,
            },
        }


def _entries(count: int) -> str:
    return f"{count} entr{'y' if count == 1 else 'ies'}"
