"""What became of the inputs of one runtime run."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator


class ModelRunSummary(BaseModel):
    """Counts of one run: every input ends applied, ignored, duplicate or dead-lettered.

    ``total`` is the number of inputs (blank lines of a file are not inputs) and always equals
    ``applied + ignored + duplicates + dead_lettered``; construction refuses anything else.
    ``blank_lines`` counts the blank lines read (``lines`` = ``total + blank_lines`` for a run
    over lines).
    ``ignored_by_reason`` is keyed by the reason code (the text before the first ``:`` of the
    handler's reason), ``dead_lettered_by_reason`` by :class:`EnumDeadLetterReason` value.
    ``duplicates`` are envelopes whose id the store had already recorded: they changed nothing.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    total: int = Field(default=0, ge=0)
    blank_lines: int = Field(default=0, ge=0)
    applied: int = Field(default=0, ge=0)
    ignored: int = Field(default=0, ge=0)
    duplicates: int = Field(default=0, ge=0)
    dead_lettered: int = Field(default=0, ge=0)
    ignored_by_reason: dict[str, int] = Field(default_factory=dict)
    dead_lettered_by_reason: dict[str, int] = Field(default_factory=dict)
    events_emitted: int = Field(default=0, ge=0)
    batches: int = Field(default=0, ge=0)
    elapsed_seconds: float = Field(default=0.0, ge=0.0)

    @model_validator(mode="after")
    def _counts_add_up(self) -> ModelRunSummary:
        parts = self.applied + self.ignored + self.duplicates + self.dead_lettered
        if parts != self.total:
            raise ValueError(
                f"applied {self.applied} + ignored {self.ignored} + duplicates {self.duplicates} "
                f"+ dead_lettered {self.dead_lettered} = {parts}, not the total {self.total}"
            )
        if sum(self.ignored_by_reason.values()) != self.ignored:
            raise ValueError("ignored_by_reason does not add up to ignored")
        if sum(self.dead_lettered_by_reason.values()) != self.dead_lettered:
            raise ValueError("dead_lettered_by_reason does not add up to dead_lettered")
        return self

    @property
    def lines(self) -> int:
        """Lines read: every input plus the blank lines (for a run over lines)."""
        return self.total + self.blank_lines

    @property
    def messages_per_second(self) -> float:
        """Inputs handled per second of wall time (``0.0`` for an empty or instant run)."""
        return self.total / self.elapsed_seconds if self.elapsed_seconds > 0 else 0.0
