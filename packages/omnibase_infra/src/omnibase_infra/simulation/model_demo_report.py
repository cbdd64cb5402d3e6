"""What a demo run produced."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from omnibase_infra.runtime.model_run_summary import ModelRunSummary
from omnibase_infra.simulation.model_invariant_result import ModelInvariantResult


class ModelDemoReport(BaseModel):
    """The printable account of a demo run, its outcome counts and the invariant verdicts.

    ``account`` depends only on the seed and the parameters (no timings, no paths), so two runs
    with the same seed print the same text.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    account: str
    summary: ModelRunSummary
    invariants: tuple[ModelInvariantResult, ...]

    @property
    def failures(self) -> list[str]:
        """Statements of the invariants that did not hold, with their detail."""
        return [f"{i.statement}: {i.detail}" for i in self.invariants if not i.passed]
