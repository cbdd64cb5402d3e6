"""Credits an account."""

from __future__ import annotations

from examples.node_ledger_effect.handlers.handler_ledger_base import HandlerLedgerBase
from examples.node_ledger_effect.models import ModelLedgerEntry, ModelLedgerSettings


class HandlerLedgerCredit(HandlerLedgerBase):
    """``credit``: the balance grows by the amount; always applied."""

    def __init__(self, settings: ModelLedgerSettings) -> None:
        super().__init__(settings, "handler-ledger-credit")

    def _decide(self, entry: ModelLedgerEntry, balance: int) -> tuple[int, str | None]:
        return balance + entry.amount, None
