"""Why the ledger ignored a command."""

from enum import StrEnum, unique


@unique
class EnumLedgerIgnoreReason(StrEnum):
    """The code of an ``ignored`` outcome (the text before the first ``:`` of the reason)."""

    INSUFFICIENT_FUNDS = "insufficient_funds"
