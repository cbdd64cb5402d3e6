"""Enumerations of the ledger node."""

from examples.node_ledger_effect.enums.enum_ledger_ignore_reason import EnumLedgerIgnoreReason

__all__ = ["EnumLedgerIgnoreReason"]
