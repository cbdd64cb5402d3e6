"""The ledger effect node, as the node engine sees it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, ClassVar, Final
from uuid import UUID

from examples.node_ledger_effect.handlers import HandlerLedgerCredit, HandlerLedgerDebit
from examples.node_ledger_effect.models import ModelLedgerContract, ModelLedgerEntry

from omnibase_core.contracts import load_contract
from omnibase_core.models.container import ModelONEXContainer
from omnibase_core.models.dispatch import ModelHandlerOutput
from omnibase_core.models.events import ModelEventEnvelope
from omnibase_core.nodes import NodeEffect
from omnibase_core.services import ServiceHandlerRegistry
from omnibase_infra.runtime import (
    ModelBatchKeys,
    ModelPayloadCatalog,
    freeze_transaction_handlers,
    run_transaction_handlers,
)
from omnibase_infra.stores.protocol_record_transaction import ProtocolRecordTransaction

LEDGER_PAYLOADS: Final = ModelPayloadCatalog((ModelLedgerEntry,))


class NodeLedgerEffect(NodeEffect):
    """Routes ``credit`` and ``debit`` commands by operation (``operation_match``) to their
    handlers, which read the account's balance record through the engine's transaction.

    Built by :meth:`create`, which loads the contract once through the located-error loader
    (its ``ledger`` section typed by :class:`ModelLedgerContract`), builds the frozen handler
    registry for the section's settings and resolves the routing. Messages are partitioned by
    ``account_id``.
    """

    DEFAULT_CONTRACT_PATH: ClassVar[Path] = Path(__file__).with_name("contract.yaml")

    @classmethod
    def create(cls, contract_path: str | os.PathLike[str] | None = None) -> NodeLedgerEffect:
        """The node for the contract at ``contract_path`` (default: the one next to this file).

        Raises ``ModelOnexError``: ``FILE_NOT_FOUND`` or ``CONTRACT_VALIDATION_ERROR`` (every
        problem at ``path:line:column``, the ``ledger`` section included) and the routing
        errors of a handler key the registry does not hold.
        """
        path = contract_path if contract_path is not None else cls.DEFAULT_CONTRACT_PATH
        contract = load_contract(path, model=ModelLedgerContract)
        container = ModelONEXContainer()
        container.register_service(
            ServiceHandlerRegistry,
            freeze_transaction_handlers(
                (HandlerLedgerCredit(contract.ledger), HandlerLedgerDebit(contract.ledger))
            ),
        )
        return cls(container, contract)

    @property
    def payload_catalog(self) -> ModelPayloadCatalog:
        """``ModelLedgerEntry``, the one payload this node reads."""
        return LEDGER_PAYLOADS

    @property
    def partition_key_name(self) -> str:
        """Commands are partitioned by ``account_id``."""
        return "account_id"

    def partition_key(self, payload: object) -> UUID | None:
        """The entry's ``account_id`` (``None`` for a payload that is not an entry)."""
        return payload.account_id if isinstance(payload, ModelLedgerEntry) else None

    async def decide(
        self, envelope: ModelEventEnvelope[Any], txn: ProtocolRecordTransaction
    ) -> list[ModelHandlerOutput]:
        """Route ``envelope`` by operation and run its handler with ``txn``."""
        handlers = self._route_envelope(envelope, self.default_routing_strategy)
        return await run_transaction_handlers(type(self).__name__, envelope, handlers, txn)

    def prefetch(self, txn: ProtocolRecordTransaction, batch: ModelBatchKeys) -> None:
        """Nothing to read ahead: each command reads one small record."""
