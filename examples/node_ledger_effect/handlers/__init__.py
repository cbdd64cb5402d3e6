"""The ledger node's handlers."""

from examples.node_ledger_effect.handlers.handler_ledger_credit import HandlerLedgerCredit
from examples.node_ledger_effect.handlers.handler_ledger_debit import HandlerLedgerDebit

__all__ = ["HandlerLedgerCredit", "HandlerLedgerDebit"]
