"""What the two ledger handlers share: identity, routing properties, reading the balance."""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from typing import Any

from examples.node_ledger_effect.models import (
    BALANCE_KIND,
    ModelIntentSetBalance,
    ModelLedgerEntry,
    ModelLedgerSettings,
)

from omnibase_core.enums import EnumMessageCategory, EnumNodeKind
from omnibase_core.models.dispatch import ModelHandlerOutput
from omnibase_core.models.events import ModelEventEnvelope
from omnibase_infra.enums import EnumDeadLetterReason
from omnibase_infra.runtime import ModelMessageRefusedError
from omnibase_infra.stores.protocol_record_transaction import ProtocolRecordTransaction


class HandlerLedgerBase(ABC):
    """A ledger command handler: reads the account's balance record through the transaction
    the engine hands it and returns the new balance as a :class:`ModelIntentSetBalance` (or an
    ignore reason); it never writes. Subclasses give the id and :meth:`_decide`."""

    def __init__(self, settings: ModelLedgerSettings, handler_id: str) -> None:
        self._settings = settings
        self._handler_id = handler_id

    @property
    def handler_id(self) -> str:
        """The key the contract routes to."""
        return self._handler_id

    @property
    def category(self) -> EnumMessageCategory:
        """Ledger messages are commands."""
        return EnumMessageCategory.COMMAND

    @property
    def message_types(self) -> set[str]:
        """The one payload type served."""
        return {ModelLedgerEntry.__name__}

    @property
    def node_kind(self) -> EnumNodeKind:
        """Runs in the ledger effect node."""
        return EnumNodeKind.EFFECT

    async def handle(
        self, envelope: ModelEventEnvelope[Any], txn: ProtocolRecordTransaction
    ) -> ModelHandlerOutput:
        """Decide one command against the account's current balance.

        Raises ``ModelMessageRefusedError`` (``invalid_payload``) for a payload that is not a
        ``ModelLedgerEntry`` or an amount above the contract's ``max_amount``.
        """
        started = time.perf_counter()
        entry = envelope.payload
        if not isinstance(entry, ModelLedgerEntry):
            raise ModelMessageRefusedError(
                f"{self._handler_id}: envelope {envelope.envelope_id} carries a "
                f"{type(entry).__name__}, expected ModelLedgerEntry",
                EnumDeadLetterReason.INVALID_PAYLOAD,
            )
        if entry.amount > self._settings.max_amount:
            raise ModelMessageRefusedError(
                f"{self._handler_id}: amount {entry.amount} is above the contract's max_amount "
                f"{self._settings.max_amount}",
                EnumDeadLetterReason.INVALID_PAYLOAD,
            )
        record = txn.get_record(BALANCE_KIND, str(entry.account_id)) or {}
        balance = int(record.get("balance", 0))
        entries = int(record.get("entries", 0))
        new_balance, ignored = self._decide(entry, balance)
        if ignored is not None:
            return self._output(envelope, started, ignored_reason=ignored)
        intent = ModelIntentSetBalance(
            account_id=entry.account_id,
            balance=new_balance,
            entries=entries + 1,
            last_reference=entry.reference,
        )
        return self._output(envelope, started, intents=(intent,))

    @abstractmethod
    def _decide(self, entry: ModelLedgerEntry, balance: int) -> tuple[int, str | None]:
        """The new balance, or the reason to ignore the command."""

    def _output(
        self,
        envelope: ModelEventEnvelope[Any],
        started: float,
        *,
        intents: tuple[ModelIntentSetBalance, ...] = (),
        ignored_reason: str | None = None,
    ) -> ModelHandlerOutput:
        return ModelHandlerOutput(
            handler_id=self._handler_id,
            input_envelope_id=envelope.envelope_id,
            correlation_id=envelope.correlation_id,
            intents=intents,
            ignored_reason=ignored_reason,
            processing_time_ms=max(0.0, (time.perf_counter() - started) * 1000.0),
        )
