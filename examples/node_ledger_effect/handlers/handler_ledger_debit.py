"""Debits an account, within its overdraft limit."""

from __future__ import annotations

from examples.node_ledger_effect.enums import EnumLedgerIgnoreReason
from examples.node_ledger_effect.handlers.handler_ledger_base import HandlerLedgerBase
from examples.node_ledger_effect.models import ModelLedgerEntry, ModelLedgerSettings


class HandlerLedgerDebit(HandlerLedgerBase):
    """``debit``: the balance shrinks by the amount, unless that takes it below minus the
    contract's ``overdraft_limit`` (then ignored as ``insufficient_funds``)."""

    def __init__(self, settings: ModelLedgerSettings) -> None:
        super().__init__(settings, "handler-ledger-debit")

    def _decide(self, entry: ModelLedgerEntry, balance: int) -> tuple[int, str | None]:
        after = balance - entry.amount
        if after < -self._settings.overdraft_limit:
            return balance, (
                f"{EnumLedgerIgnoreReason.INSUFFICIENT_FUNDS}: debit of {entry.amount} from "
                f"account {entry.account_id} with balance {balance} exceeds the overdraft "
                f"limit {self._settings.overdraft_limit}"
            )
        return after, None
