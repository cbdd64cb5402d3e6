"""One batch of inputs applied to a node through one store transaction.

The step between the engine's batch loop and the node: per input it does, in order, the inbox
check (exactly once), the wire-limit check, the partition check, the node's decision, the
intents, the outbox, and the outcome record or the dead letter. Knows no node: everything
node-specific comes through :class:`ProtocolEngineNode`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic
from uuid import UUID, uuid5

from omnibase_core.enums import EnumCoreErrorCode
from omnibase_core.models.dispatch import ModelHandlerOutput
from omnibase_core.models.errors import ModelOnexError
from omnibase_core.models.events import ModelEventEnvelope
from omnibase_infra.enums import EnumDeadLetterReason, EnumMessageOutcome
from omnibase_infra.models import ModelDeadLetter, ModelLifecycleEvent, ModelPartition
from omnibase_infra.runtime.model_batch_keys import ModelBatchKeys
from omnibase_infra.runtime.model_message_refused_error import ModelMessageRefusedError
from omnibase_infra.runtime.protocol_engine_node import ProtocolEngineNode, TxnT
from omnibase_infra.runtime.service_run_progress import ModelEngineTally
from omnibase_infra.runtime.wire_codec import dead_letter_id, encode_envelope, make_dead_letter
from omnibase_infra.stores.model_store_data_error import ModelStoreDataError
from omnibase_infra.stores.model_store_unavailable_error import ModelStoreUnavailableError
from omnibase_infra.stores.protocol_engine_store import ProtocolEngineStore
from omnibase_infra.stores.protocol_engine_transaction import ProtocolEngineTransaction
from omnibase_infra.wire import escape_raw, find_violation, unescape_raw

#: An input of the engine: a decoded envelope, or the dead letter the codec made of an
#: unreadable message.
RuntimeInput = ModelEventEnvelope[Any] | ModelDeadLetter
BatchResult = tuple[ModelEngineTally, list[ModelLifecycleEvent]]
#: Run first in every batch transaction; raising aborts the batch (nothing of it is kept).
BatchGuard = Callable[[ProtocolEngineTransaction], None]


@dataclass(slots=True)
class ModelEngineItem:
    """One input with where it came from (for dead letters).

    ``raw`` is the line's bytes (without its ``\\n``) when it came from a line; ``checked``
    says the wire codec already held its values to the wire limits.
    """

    value: RuntimeInput
    raw: bytes | None = None
    source: str | None = None
    line_number: int | None = None
    checked: bool = False


class ServiceBatchApplier(Generic[TxnT]):
    """Applies batches of inputs to ``node`` in transactions of ``store``, as ``partition``.

    ``owner`` names the caller in error messages. ``guard``, when given, is called with each
    batch transaction before anything else is read or written in it (a bus owner checks its
    partition lease there, so a stale owner's batch aborts); whatever it raises propagates and
    the transaction rolls back.
    """

    __slots__ = ("_guard", "_node", "_owner", "_partition", "_single", "_store")

    def __init__(
        self,
        store: ProtocolEngineStore[TxnT],
        node: ProtocolEngineNode[TxnT],
        partition: ModelPartition,
        owner: str,
        guard: BatchGuard | None = None,
    ) -> None:
        self._store = store
        self._node = node
        self._partition = partition
        self._owner = owner
        self._guard = guard
        self._single = partition.count == 1

    async def apply_batch(self, batch: list[ModelEngineItem]) -> BatchResult:
        """One transaction over ``batch``; counts and events are returned only if it commits.

        The batch first runs without savepoints (the fast path). If the store refuses a value
        of one of its messages (``ModelStoreDataError``), the transaction is rolled back and the
        batch runs again with a savepoint per message, so the refusing message alone is
        dead-lettered ``store_rejected`` and every other message is applied exactly as it
        would have been in a batch of its own. Raises whatever else the store raises.
        """
        try:
            return await self._apply_batch_once(batch, isolated=False)
        except ModelStoreDataError:
            return await self._apply_batch_once(batch, isolated=True)

    async def _apply_batch_once(
        self, batch: list[ModelEngineItem], *, isolated: bool
    ) -> BatchResult:
        local = ModelEngineTally(batches=1)
        events: list[ModelLifecycleEvent] = []
        processed_at = datetime.now(UTC)
        with self._store.transaction() as txn:
            if self._guard is not None:
                self._guard(txn)
            self._prefetch(txn, batch)
            for item in batch:
                if not isolated:
                    await self._apply_one(txn, item, local, events, processed_at)
                    continue
                item_tally = ModelEngineTally()
                item_events: list[ModelLifecycleEvent] = []
                try:
                    with txn.savepoint():
                        await self._apply_one(txn, item, item_tally, item_events, processed_at)
                except ModelStoreDataError as refusal:
                    with txn.savepoint():
                        self._store_rejected(txn, item, local, processed_at, refusal)
                    continue
                local.merge(item_tally)
                events.extend(item_events)
        local.events_emitted = len(events)
        return local, events

    def _prefetch(self, txn: TxnT, batch: list[ModelEngineItem]) -> None:
        """Offer the node the batch's inbox keys and partition keys to read ahead (computed
        only if it asks)."""

        def compute() -> tuple[list[UUID], list[UUID]]:
            inbox_ids: list[UUID] = []
            keys: list[UUID] = []
            for item in batch:
                value = item.value
                inbox_id = self.inbox_id(value)
                if inbox_id is not None:
                    inbox_ids.append(inbox_id)
                if not isinstance(value, ModelDeadLetter):
                    key = self._node.partition_key(value.payload)
                    if key is not None:
                        keys.append(key)
            return inbox_ids, keys

        self._node.prefetch(txn, ModelBatchKeys(compute))

    async def _apply_one(
        self,
        txn: TxnT,
        item: ModelEngineItem,
        tally: ModelEngineTally,
        events: list[ModelLifecycleEvent],
        processed_at: datetime,
    ) -> None:
        value = item.value
        if isinstance(value, ModelDeadLetter):
            inbox_id = self.inbox_id(value)
            if inbox_id is not None:
                if txn.get_outcome(inbox_id) is not None:
                    tally.duplicates += 1
                    return
                txn.record_outcome(
                    inbox_id, EnumMessageOutcome.DEAD_LETTERED, value.reason.value, processed_at
                )
            txn.add_dead_letter(self._scoped(value, inbox_id))
            tally.dead_lettered += 1
            tally.dead_lettered_by_reason[value.reason.value] += 1
            return

        envelope = value
        if self._single:  # one partition owns every key: the partition rule is not even asked
            key = None
            inbox_id = envelope.envelope_id
        else:
            key = self._node.partition_key(envelope.payload)
            inbox_id = self._inbox_key(envelope.envelope_id, key)
        if txn.get_outcome(inbox_id) is not None:
            tally.duplicates += 1
            return
        if not item.checked:
            violation = find_violation(envelope.model_dump())
            if violation is not None:
                self._dead_letter(
                    txn,
                    item,
                    envelope,
                    inbox_id,
                    tally,
                    processed_at,
                    EnumDeadLetterReason.INVALID_ENVELOPE,
                    f"beyond the wire limits: {violation}",
                )
                return
        if key is not None and not self._partition.owns(key):
            self._dead_letter(
                txn,
                item,
                envelope,
                inbox_id,
                tally,
                processed_at,
                EnumDeadLetterReason.MISROUTED_PARTITION,
                f"{self._node.partition_key_name} {key} does not belong to partition "
                f"{self._partition.key}; route messages by {self._node.partition_key_name} "
                "(CRC-32 of the id modulo the partition count)",
            )
            return
        try:
            outputs = await self._node.decide(envelope, txn)
            intents = self._checked_intents(outputs)
        except (ModelStoreDataError, ModelStoreUnavailableError):
            raise  # the store failed, not the handler: the batch or the message is redone
        except Exception as exc:
            reason, detail = _failure(exc)
            self._dead_letter(txn, item, envelope, inbox_id, tally, processed_at, reason, detail)
            return
        if not outputs:
            self._dead_letter(
                txn,
                item,
                envelope,
                inbox_id,
                tally,
                processed_at,
                EnumDeadLetterReason.UNROUTABLE,
                f"no handler for payload_type {envelope.payload_type!r} in category "
                f"{envelope.category.value} (topic {envelope.topic!r}); the contract routes "
                f"{', '.join(sorted(self._node.get_routing_table())) or 'nothing'}",
            )
            return

        for intent in intents:
            intent.apply_to(txn)
        emitted = _emitted(outputs)
        if emitted:
            txn.append_events(emitted)
            events.extend(emitted)
        ignored = None if emitted or intents else _ignored(outputs)
        if ignored is not None:
            txn.record_outcome(inbox_id, EnumMessageOutcome.IGNORED, ignored, processed_at)
            tally.ignored += 1
            tally.ignored_by_reason[ignored.split(":", 1)[0]] += 1
        else:
            txn.record_outcome(inbox_id, EnumMessageOutcome.APPLIED, None, processed_at)
            tally.applied += 1

    def _checked_intents(self, outputs: list[ModelHandlerOutput]) -> Sequence[Any]:
        """Every intent of ``outputs``; raises before anything is applied if one cannot apply
        itself (no ``apply_to``)."""
        intents: Sequence[Any] = (
            outputs[0].intents
            if len(outputs) == 1
            else [intent for output in outputs for intent in output.intents]
        )
        for intent in intents:
            if not callable(getattr(intent, "apply_to", None)):
                raise ModelOnexError(
                    f"{self._owner}: a handler returned the unknown intent "
                    f"{type(intent).__name__}; an intent must define apply_to(txn), which "
                    "writes it in the engine's transaction",
                    EnumCoreErrorCode.HANDLER_EXECUTION_ERROR,
                )
        return intents

    def _store_rejected(
        self,
        txn: TxnT,
        item: ModelEngineItem,
        tally: ModelEngineTally,
        processed_at: datetime,
        refusal: ModelStoreDataError,
    ) -> None:
        """Dead-letter ``item`` as ``store_rejected`` after the store refused one of its values
        (its own writes were rolled back to its savepoint). The raw line is kept escaped, the
        form every store can hold."""
        value = item.value
        reason = EnumDeadLetterReason.STORE_REJECTED
        if item.raw is not None:
            raw = item.raw
        elif isinstance(value, ModelDeadLetter):
            raw = (
                unescape_raw(value.raw)
                if value.raw_escaped
                else value.raw.encode("utf-8", "surrogatepass")
            )
        else:
            raw = _raw_text(item, value).encode("utf-8", "surrogatepass")
        inbox_id = self.inbox_id(value)
        if inbox_id is not None:
            if txn.get_outcome(inbox_id) is not None:
                tally.duplicates += 1
                return
            txn.record_outcome(
                inbox_id, EnumMessageOutcome.DEAD_LETTERED, reason.value, processed_at
            )
        txn.add_dead_letter(
            make_dead_letter(
                reason,
                f"the store cannot hold a value of this message: {_one_line(refusal.message)}",
                raw=escape_raw(raw),
                raw_escaped=True,
                envelope_id=value.envelope_id,
                key=inbox_id,
                scope=None if self._partition.count == 1 else self._partition.key,
                source=item.source,
                line_number=item.line_number,
                recorded_at=processed_at,
            )
        )
        tally.dead_lettered += 1
        tally.dead_lettered_by_reason[reason.value] += 1

    @staticmethod
    def _dead_letter(
        txn: TxnT,
        item: ModelEngineItem,
        envelope: ModelEventEnvelope[Any],
        inbox_id: UUID,
        tally: ModelEngineTally,
        processed_at: datetime,
        reason: EnumDeadLetterReason,
        detail: str,
    ) -> None:
        txn.add_dead_letter(
            make_dead_letter(
                reason,
                detail,
                raw=_raw_text(item, envelope),
                envelope_id=envelope.envelope_id,
                key=inbox_id,
                source=item.source,
                line_number=item.line_number,
                recorded_at=processed_at,
            )
        )
        txn.record_outcome(inbox_id, EnumMessageOutcome.DEAD_LETTERED, reason.value, processed_at)
        tally.dead_lettered += 1
        tally.dead_lettered_by_reason[reason.value] += 1

    def _scoped(self, letter: ModelDeadLetter, inbox_id: UUID | None) -> ModelDeadLetter:
        """A codec dead letter with the id of this partition's copy: from its inbox key, or,
        for a line without an envelope id, from the line and (with several partitions) the
        partition key, so two partitions dead-lettering the same input both keep theirs."""
        if inbox_id is None and self._partition.count == 1:
            return letter
        letter_id = dead_letter_id(
            inbox_id,
            source=letter.source,
            line_number=letter.line_number,
            raw=letter.raw,
            scope=self._partition.key,
        )
        if letter_id == letter.dead_letter_id:
            return letter
        return letter.model_copy(update={"dead_letter_id": letter_id})

    def inbox_id(self, value: RuntimeInput) -> UUID | None:
        """The inbox key of an input: its envelope id, scoped to this partition unless it is a
        message this partition owns by the node's partition rule.

        Partitions share one inbox. A keyed message belongs to exactly one partition, so its
        envelope id is the key and a redelivery to any process is a duplicate. Every partition
        receives every unkeyed message (a tick), and a misrouted message reaches a partition
        that must not consume it for the owner: those are keyed per partition, so each
        partition applies its own tick once and a misrouted copy never blocks the owner's.
        """
        if isinstance(value, ModelDeadLetter):
            return None if value.envelope_id is None else self._inbox_key(value.envelope_id, None)
        return self._inbox_key(value.envelope_id, self._node.partition_key(value.payload))

    def _inbox_key(self, envelope_id: UUID, key: UUID | None) -> UUID:
        """The inbox key of ``envelope_id`` whose partition key is ``key``."""
        if self._partition.count == 1 or (key is not None and self._partition.owns(key)):
            return envelope_id
        return uuid5(envelope_id, f"partition {self._partition.key}")


def _emitted(outputs: list[ModelHandlerOutput]) -> Sequence[ModelLifecycleEvent]:
    """Every event of ``outputs``, in order."""
    if len(outputs) == 1:
        events: Sequence[ModelLifecycleEvent] = outputs[0].events
        return events
    return [event for output in outputs for event in output.events]


def _ignored(outputs: list[ModelHandlerOutput]) -> str | None:
    """The ignore reasons of ``outputs`` joined by ``"; "`` when every output gives one (the
    message was ignored), else ``None``."""
    reasons = [output.ignored_reason for output in outputs if output.ignored_reason]
    return "; ".join(reasons) if len(reasons) == len(outputs) else None


def _failure(exc: BaseException) -> tuple[EnumDeadLetterReason, str]:
    """The dead-letter reason and one-line detail of a failed envelope.

    Walks the cause chain for a :class:`ModelMessageRefusedError` (a handler's deliberate
    refusal, such as ``clock_skew``); anything else is ``handler_error`` with the outermost
    message.
    """
    seen: BaseException | None = exc
    depth = 0
    while seen is not None and depth < 16:
        if isinstance(seen, ModelMessageRefusedError):
            return seen.reason, _one_line(str(seen))
        seen = seen.__cause__ or seen.__context__
        depth += 1
    return EnumDeadLetterReason.HANDLER_ERROR, _one_line(str(exc) or type(exc).__name__)


def _raw_text(item: ModelEngineItem, envelope: ModelEventEnvelope[Any]) -> str:
    """The raw line of an envelope being dead-lettered (it decoded, so it is UTF-8), or its
    encoding when it did not come from a line."""
    if item.raw is not None:
        return item.raw.decode("utf-8", "surrogateescape")
    try:
        return encode_envelope(envelope)
    except (TypeError, ValueError) as exc:
        return f"(envelope {envelope.envelope_id} cannot be encoded: {exc})"


def _one_line(text: str) -> str:
    return " ".join(text.split())
