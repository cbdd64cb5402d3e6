"""The ledger node's contract, its ``ledger`` section typed."""

from __future__ import annotations

from examples.node_ledger_effect.models.model_ledger_settings import ModelLedgerSettings

from omnibase_core.models.contracts.model_contract import ModelContract


class ModelLedgerContract(ModelContract):
    """``ModelContract`` plus the ``ledger`` section, checked by the located-error loader (a
    typo or a bad value there is reported at its ``path:line:column``)."""

    ledger: ModelLedgerSettings = ModelLedgerSettings()
