"""Payload, contract, settings and intent of the ledger node."""

from examples.node_ledger_effect.models.model_intent_set_balance import (
    BALANCE_KIND,
    ModelIntentSetBalance,
)
from examples.node_ledger_effect.models.model_ledger_contract import ModelLedgerContract
from examples.node_ledger_effect.models.model_ledger_entry import ModelLedgerEntry
from examples.node_ledger_effect.models.model_ledger_settings import ModelLedgerSettings

__all__ = [
    "BALANCE_KIND",
    "ModelIntentSetBalance",
    "ModelLedgerContract",
    "ModelLedgerEntry",
    "ModelLedgerSettings",
]
