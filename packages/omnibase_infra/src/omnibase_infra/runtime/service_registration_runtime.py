"""The registration runtime: the only writer of the registration store."""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from collections.abc import Callable, Coroutine, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from itertools import islice
from typing import Any, Final
from uuid import UUID, uuid5

from omnibase_core.enums import EnumCoreErrorCode
from omnibase_core.models.container import ModelONEXContainer
from omnibase_core.models.dispatch import ModelHandlerOutput
from omnibase_core.models.errors import ModelOnexError
from omnibase_core.models.events import ModelEventEnvelope
from omnibase_core.services import ServiceHandlerRegistry
from omnibase_infra.enums import EnumDeadLetterReason, EnumMessageOutcome
from omnibase_infra.models import ModelDeadLetter, ModelLifecycleEvent, ModelPartition
from omnibase_infra.nodes.node_registration_orchestrator.handlers.handler_helpers import (
    DEAD_LETTER_REASON_KEY,
)
from omnibase_infra.nodes.node_registration_orchestrator.models import (
    ModelIntentAdvanceTickClock,
    ModelIntentRecordIntrospectionRequest,
    ModelIntentUpsertNode,
    ModelRegistrationSettings,
)
from omnibase_infra.nodes.node_registration_orchestrator.node import (
    NodeRegistrationOrchestrator,
)
from omnibase_infra.nodes.node_registration_orchestrator.registry import (
    RegistryInfraNodeRegistrationOrchestrator,
)
from omnibase_infra.runtime.model_run_summary import ModelRunSummary
from omnibase_infra.runtime.wire_codec import (
    dead_letter_id,
    decode_line,
    encode_envelope,
    line_bytes,
    make_dead_letter,
)
from omnibase_infra.runtime.wire_lines import is_blank_line, iter_wire_lines
from omnibase_infra.stores import ProtocolRegistrationStore, ProtocolRegistrationTransaction
from omnibase_infra.stores.model_store_data_error import ModelStoreDataError
from omnibase_infra.stores.model_store_unavailable_error import ModelStoreUnavailableError
from omnibase_infra.stores.store_factory import open_store
from omnibase_infra.stores.store_retry import arun_with_store_retry, run_with_store_retry
from omnibase_infra.wire import escape_raw, find_violation, unescape_raw

#: An input of :meth:`ServiceRegistrationRuntime.apply`: a decoded envelope, or the dead letter
#: the codec made of an unreadable message.
RuntimeInput = ModelEventEnvelope[Any] | ModelDeadLetter
ProgressCallback = Callable[[ModelRunSummary], None]
EventsCallback = Callable[[Sequence[ModelLifecycleEvent]], None]
RunResult = tuple[ModelRunSummary, list[ModelLifecycleEvent]]

DEFAULT_BATCH_SIZE: Final = 500
_DEAD_LETTER_REASONS: Final = frozenset(reason.value for reason in EnumDeadLetterReason)
_KNOWN_INTENTS: Final = (
    ModelIntentUpsertNode,
    ModelIntentRecordIntrospectionRequest,
    ModelIntentAdvanceTickClock,
)


@dataclass(slots=True)
class _Item:
    """One input with where it came from (for dead letters).

    ``raw`` is the line's bytes (without its ``\\n``) when it came from a line; ``checked``
    says the wire codec already held its values to the wire limits.
    """

    value: RuntimeInput
    raw: bytes | None = None
    source: str | None = None
    line_number: int | None = None
    checked: bool = False


@dataclass(slots=True)
class _LineCount:
    """Blank lines read so far (they are counted, but are not inputs)."""

    blank: int = 0


@dataclass(slots=True)
class _Tally:
    """Running counts; merged into the run's tally only when a batch commits."""

    applied: int = 0
    ignored: int = 0
    duplicates: int = 0
    dead_lettered: int = 0
    ignored_by_reason: Counter[str] = field(default_factory=Counter)
    dead_lettered_by_reason: Counter[str] = field(default_factory=Counter)
    events_emitted: int = 0
    batches: int = 0

    def merge(self, other: _Tally) -> None:
        self.applied += other.applied
        self.ignored += other.ignored
        self.duplicates += other.duplicates
        self.dead_lettered += other.dead_lettered
        self.ignored_by_reason.update(other.ignored_by_reason)
        self.dead_lettered_by_reason.update(other.dead_lettered_by_reason)
        self.events_emitted += other.events_emitted
        self.batches += other.batches

    def summary(self, elapsed: float, blank_lines: int = 0) -> ModelRunSummary:
        return ModelRunSummary(
            total=self.applied + self.ignored + self.duplicates + self.dead_lettered,
            blank_lines=blank_lines,
            applied=self.applied,
            ignored=self.ignored,
            duplicates=self.duplicates,
            dead_lettered=self.dead_lettered,
            ignored_by_reason=dict(self.ignored_by_reason),
            dead_lettered_by_reason=dict(self.dead_lettered_by_reason),
            events_emitted=self.events_emitted,
            batches=self.batches,
            elapsed_seconds=max(elapsed, 0.0),
        )


class _RunProgress:
    """One run's totals: merges each committed batch, reports progress and keeps its events."""

    __slots__ = (
        "_collect_events",
        "_events",
        "_lines",
        "_on_events",
        "_progress",
        "_started",
        "_tally",
    )

    def __init__(
        self,
        progress: ProgressCallback | None,
        on_events: EventsCallback | None,
        collect_events: bool,
        lines: _LineCount | None = None,
    ) -> None:
        self._lines = lines or _LineCount()
        self._progress = progress
        self._on_events = on_events
        self._collect_events = collect_events
        self._tally = _Tally()
        self._events: list[ModelLifecycleEvent] = []
        self._started = time.perf_counter()

    def commit(self, committed: tuple[_Tally, list[ModelLifecycleEvent]]) -> None:
        """Count a batch that committed and hand its events on."""
        local, events = committed
        self._tally.merge(local)
        if self._collect_events:
            self._events.extend(events)
        if self._on_events is not None and events:
            self._on_events(events)
        if self._progress is not None:
            self._progress(self._summary())

    def result(self) -> RunResult:
        """The run's summary and the events kept (empty unless collected)."""
        return self._summary(), self._events

    def _summary(self) -> ModelRunSummary:
        return self._tally.summary(time.perf_counter() - self._started, self._lines.blank)


class ServiceRegistrationRuntime:
    """Feeds envelopes to :class:`NodeRegistrationOrchestrator` and commits its decisions.

    For each batch of inputs it opens one store transaction and, per input: records a codec
    dead letter; skips an envelope whose id the inbox already holds (a duplicate: exactly once
    per envelope); dead-letters a node message this partition does not own
    (``misrouted_partition``); routes the envelope through the node (no handler:
    ``unroutable``; a handler raising: ``handler_error`` or the reason the handler gave, such as
    ``clock_skew``); applies the handlers' intents, appends their events to the outbox and
    records the outcome (``applied`` or ``ignored`` with the reason). The batch commits as one
    transaction, so a crash loses at most the uncommitted batch, which a re-run redoes exactly
    once. Handlers never write, so one failing message never spoils the batch; and when the
    store refuses a value of one message (``ModelStoreDataError``), the batch is redone with a
    savepoint per message and that message alone is dead-lettered ``store_rejected``.

    Synchronous API over the asynchronous node, with one private event loop for the whole life
    of the runtime (call :meth:`apply_async` from inside a running loop instead). One runtime
    is used by one thread at a time; :meth:`close` releases the loop (and the store when the
    runtime opened it).
    """

    def __init__(
        self,
        store: ProtocolRegistrationStore,
        *,
        settings: ModelRegistrationSettings | None = None,
        partition: ModelPartition | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        contract_path: str | os.PathLike[str] | None = None,
        owns_store: bool = False,
    ) -> None:
        """Build the registry, the node and the loop over ``store``.

        ``settings`` default to the contract's ``lifecycle`` section; ``partition`` to the one
        partition owning every node; ``owns_store`` closes the store with the runtime.
        Raises ``ModelOnexError``: ``INVALID_PARAMETER`` for ``batch_size < 1``, and the
        contract, settings and routing errors of :class:`NodeRegistrationOrchestrator`.
        """
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ModelOnexError(
                f"ServiceRegistrationRuntime: batch_size {batch_size!r} must be an integer >= 1",
                EnumCoreErrorCode.INVALID_PARAMETER,
                {"batch_size": batch_size},
            )
        self._store = store
        self._owns_store = owns_store
        # The contract is read once: its lifecycle section gives the settings, and the node
        # routes by it.
        contract = NodeRegistrationOrchestrator.load_registration_contract(contract_path)
        self._settings = settings or contract.lifecycle.to_settings()
        self._partition = partition or ModelPartition()
        self._batch_size = batch_size
        container = ModelONEXContainer()
        container.register_service(
            ServiceHandlerRegistry,
            RegistryInfraNodeRegistrationOrchestrator.create_registry(
                store, self._settings, self._partition
            ),
        )
        container.register_service("ProtocolRegistrationStore", store)
        self._node = NodeRegistrationOrchestrator(
            container, contract_path=contract_path, contract=contract
        )
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False

    @classmethod
    def from_url(
        cls,
        url: str | None = None,
        *,
        settings: ModelRegistrationSettings | None = None,
        partition: ModelPartition | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        contract_path: str | os.PathLike[str] | None = None,
    ) -> ServiceRegistrationRuntime:
        """Open the store at ``url`` (default ``$ONEX_REGISTRATION_STORE`` else
        ``sqlite:///registration.db``) and build a runtime that closes it with itself.

        Raises ``ModelOnexError`` from :func:`open_store` and from the constructor.
        """
        store = open_store(url)
        try:
            return cls(
                store,
                settings=settings,
                partition=partition,
                batch_size=batch_size,
                contract_path=contract_path,
                owns_store=True,
            )
        except BaseException:
            store.close()
            raise

    # --- properties ------------------------------------------------------------------------------
    @property
    def store(self) -> ProtocolRegistrationStore:
        """The store this runtime writes."""
        return self._store

    @property
    def settings(self) -> ModelRegistrationSettings:
        """The lifecycle settings in force."""
        return self._settings

    @property
    def partition(self) -> ModelPartition:
        """The partition this runtime owns."""
        return self._partition

    @property
    def node(self) -> NodeRegistrationOrchestrator:
        """The orchestrator node that routes every envelope."""
        return self._node

    @property
    def batch_size(self) -> int:
        """Inputs per committed transaction."""
        return self._batch_size

    # --- running ---------------------------------------------------------------------------------
    def apply(
        self,
        inputs: Iterable[RuntimeInput],
        *,
        progress: ProgressCallback | None = None,
        on_events: EventsCallback | None = None,
        collect_events: bool = True,
    ) -> RunResult:
        """Apply decoded inputs (envelopes or codec dead letters) in committed batches.

        Returns the run's :class:`ModelRunSummary` and the events it emitted in commit order
        (an empty list when ``collect_events`` is false). ``progress`` gets the running summary
        and ``on_events`` the batch's events after each commit. Raises ``ModelOnexError``
        (``INVALID_STATE``) once closed or inside a running event loop, and whatever the store
        raises (the open batch is then rolled back and nothing of it is kept).
        """
        return self._run((_Item(value) for value in inputs), progress, on_events, collect_events)

    def run_lines(
        self,
        lines: Iterable[bytes | str],
        source: str,
        *,
        progress: ProgressCallback | None = None,
        on_events: EventsCallback | None = None,
        collect_events: bool = True,
        accepted_at: datetime | None = None,
    ) -> RunResult:
        """Decode wire lines and apply them like :meth:`apply`; each item of ``lines`` is one
        line (bytes, or text; an ending ``\\n`` is dropped, nothing else).

        Lines are numbered from 1 and named ``source`` in dead letters; blank lines (only
        spaces, tabs and ``\\r``) are counted in the summary's ``blank_lines`` but are not
        messages. Each line is decoded as strict UTF-8 by the wire codec. An envelope without
        ``envelope_timestamp`` is stamped with ``accepted_at`` (default: the time its line is
        read). Raises as :meth:`apply`.
        """
        numbered = ((number, line_bytes(line)) for number, line in enumerate(lines, start=1))
        return self._run_numbered(
            numbered, source, progress, on_events, collect_events, accepted_at
        )

    def run_stream(
        self,
        stream: Iterable[bytes],
        source: str,
        *,
        progress: ProgressCallback | None = None,
        on_events: EventsCallback | None = None,
        collect_events: bool = True,
        accepted_at: datetime | None = None,
    ) -> RunResult:
        """Apply every line of a binary stream (a file opened ``"rb"``, a pipe, a FIFO,
        ``sys.stdin.buffer``) like :meth:`run_lines`, reading it lazily.

        Lines are split on ``\\n`` only (:func:`~omnibase_infra.runtime.wire_lines.
        iter_wire_lines`) and numbered as the stream's own lines. Raises ``TypeError`` for a
        text stream, ``OSError`` when reading fails, and as :meth:`apply`.
        """
        return self._run_numbered(
            iter_wire_lines(stream), source, progress, on_events, collect_events, accepted_at
        )

    def _run_numbered(
        self,
        numbered: Iterable[tuple[int, bytes]],
        source: str,
        progress: ProgressCallback | None,
        on_events: EventsCallback | None,
        collect_events: bool,
        accepted_at: datetime | None,
    ) -> RunResult:
        count = _LineCount()

        def items() -> Iterator[_Item]:
            for number, line in numbered:
                if is_blank_line(line):
                    count.blank += 1
                    continue
                stamp = accepted_at or datetime.now(UTC)
                value = decode_line(line, source=source, line_number=number, accepted_at=stamp)
                yield _Item(value, line, source, number, checked=True)

        return self._run(items(), progress, on_events, collect_events, count)

    async def apply_async(
        self,
        inputs: Iterable[RuntimeInput],
        *,
        progress: ProgressCallback | None = None,
        on_events: EventsCallback | None = None,
        collect_events: bool = True,
    ) -> RunResult:
        """:meth:`apply` for callers already inside an event loop. Raises as :meth:`apply`."""
        self._check_open("apply_async")
        run = _RunProgress(progress, on_events, collect_events)
        for batch in self._batches(_Item(value) for value in inputs):
            # a batch the database rolled back (lost connection, deadlock) is redone whole
            run.commit(await arun_with_store_retry(partial(self._apply_batch, batch)))
        return run.result()

    def close(self) -> None:
        """Close the event loop, and the store when the runtime opened it. Idempotent."""
        if self._closed:
            return
        self._closed = True
        if self._loop is not None:
            self._loop.close()
            self._loop = None
        if self._owns_store:
            self._store.close()

    def __enter__(self) -> ServiceRegistrationRuntime:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # --- internals -------------------------------------------------------------------------------
    def _run(
        self,
        items: Iterator[_Item],
        progress: ProgressCallback | None,
        on_events: EventsCallback | None,
        collect_events: bool,
        lines: _LineCount | None = None,
    ) -> RunResult:
        self._check_open("apply")
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass
        else:
            raise ModelOnexError(
                "ServiceRegistrationRuntime.apply: called inside a running event loop; "
                "await apply_async(...) there instead",
                EnumCoreErrorCode.INVALID_STATE,
            )
        if self._loop is None:
            self._loop = asyncio.new_event_loop()
        run = _RunProgress(progress, on_events, collect_events, lines)
        for batch in self._batches(items):
            # a batch the database rolled back (lost connection, deadlock) is redone whole
            run.commit(
                run_with_store_retry(partial(_run_batch, self._loop, self._apply_batch, batch))
            )
        return run.result()

    def _batches(self, items: Iterator[_Item]) -> Iterator[list[_Item]]:
        """``items`` cut into lists of at most ``batch_size``, one per transaction."""
        while batch := list(islice(items, self._batch_size)):
            yield batch

    async def _apply_batch(self, batch: list[_Item]) -> tuple[_Tally, list[ModelLifecycleEvent]]:
        """One transaction over ``batch``; counts and events are returned only if it commits.

        The batch first runs without savepoints (the fast path). If the store refuses a value
        of one of its messages (``ModelStoreDataError``), the transaction is rolled back and the
        batch runs again with a savepoint per message, so the refusing message alone is
        dead-lettered ``store_rejected`` and every other message is applied exactly as it
        would have been in a batch of its own.
        """
        try:
            return await self._apply_batch_once(batch, isolated=False)
        except ModelStoreDataError:
            return await self._apply_batch_once(batch, isolated=True)

    async def _apply_batch_once(
        self, batch: list[_Item], *, isolated: bool
    ) -> tuple[_Tally, list[ModelLifecycleEvent]]:
        local = _Tally(batches=1)
        events: list[ModelLifecycleEvent] = []
        processed_at = datetime.now(UTC)
        with self._store.transaction() as txn:
            _prefetch(txn, batch, self._inbox_id)
            for item in batch:
                if not isolated:
                    await self._apply_one(txn, item, local, events, processed_at)
                    continue
                item_tally = _Tally()
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

    def _store_rejected(
        self,
        txn: ProtocolRegistrationTransaction,
        item: _Item,
        tally: _Tally,
        processed_at: datetime,
        refusal: ModelStoreDataError,
    ) -> None:
        """Dead-letter ``item`` as ``store_rejected`` after the store refused one of its values
        (its own writes were rolled back to its savepoint). The raw line is kept escaped, the
        form every store can hold."""
        value = item.value
        reason = EnumDeadLetterReason.STORE_REJECTED
        envelope_id = value.envelope_id
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
        inbox_id = self._inbox_id(value)
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
                envelope_id=envelope_id,
                key=inbox_id,
                scope=None if self._partition.count == 1 else self._partition.key,
                source=item.source,
                line_number=item.line_number,
                recorded_at=processed_at,
            )
        )
        tally.dead_lettered += 1
        tally.dead_lettered_by_reason[reason.value] += 1

    async def _apply_one(
        self,
        txn: ProtocolRegistrationTransaction,
        item: _Item,
        tally: _Tally,
        events: list[ModelLifecycleEvent],
        processed_at: datetime,
    ) -> None:
        value = item.value
        if isinstance(value, ModelDeadLetter):
            inbox_id = self._inbox_id(value)
            if inbox_id is not None:
                if txn.get_outcome(inbox_id) is not None:
                    tally.duplicates += 1
                    return
                txn.record_outcome(
                    inbox_id,
                    EnumMessageOutcome.DEAD_LETTERED,
                    value.reason.value,
                    processed_at,
                )
            txn.add_dead_letter(self._scoped(value, inbox_id))
            tally.dead_lettered += 1
            tally.dead_lettered_by_reason[value.reason.value] += 1
            return

        envelope = value
        inbox_id = self._inbox_key(envelope.envelope_id, envelope.payload)
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
        node_id = getattr(envelope.payload, "node_id", None)
        if isinstance(node_id, UUID) and not self._partition.owns(node_id):
            self._dead_letter(
                txn,
                item,
                envelope,
                inbox_id,
                tally,
                processed_at,
                EnumDeadLetterReason.MISROUTED_PARTITION,
                f"node {node_id} does not belong to partition {self._partition.key}; "
                "route messages by node_id (CRC-32 of the id modulo the partition count)",
            )
            return
        try:
            outputs = await self._node.process(envelope)
            intents = self._checked_intents(outputs)
        except (ModelStoreDataError, ModelStoreUnavailableError):
            raise  # the store failed, not the handler: the batch or the message is redone
        except Exception as exc:
            reason, detail = self._failure(exc)
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
            if isinstance(intent, ModelIntentUpsertNode):
                txn.upsert_node(intent.projection)
            elif isinstance(intent, ModelIntentRecordIntrospectionRequest):
                txn.set_introspection_requested_at(intent.node_id, intent.requested_at)
            else:
                txn.set_tick_clock(intent.partition_key, intent.now)
        emitted = [event for output in outputs for event in output.events]
        if emitted:
            txn.append_events(emitted)
            events.extend(emitted)
        reasons = [output.ignored_reason for output in outputs if output.ignored_reason]
        if not emitted and not intents and len(reasons) == len(outputs):
            ignored = "; ".join(reasons)
            txn.record_outcome(inbox_id, EnumMessageOutcome.IGNORED, ignored, processed_at)
            tally.ignored += 1
            tally.ignored_by_reason[ignored.split(":", 1)[0]] += 1
        else:
            txn.record_outcome(inbox_id, EnumMessageOutcome.APPLIED, None, processed_at)
            tally.applied += 1

    def _checked_intents(self, outputs: list[ModelHandlerOutput]) -> list[Any]:
        """Every intent of ``outputs``; raises before anything is applied if one is unknown."""
        intents = [intent for output in outputs for intent in output.intents]
        for intent in intents:
            if not isinstance(intent, _KNOWN_INTENTS):
                raise ModelOnexError(
                    f"ServiceRegistrationRuntime: a handler returned the unknown intent "
                    f"{type(intent).__name__}; expected one of "
                    f"{', '.join(kind.__name__ for kind in _KNOWN_INTENTS)}",
                    EnumCoreErrorCode.HANDLER_EXECUTION_ERROR,
                )
        return intents

    @staticmethod
    def _failure(exc: BaseException) -> tuple[EnumDeadLetterReason, str]:
        """The dead-letter reason and one-line detail of a failed envelope.

        Walks the cause chain for a ``ModelOnexError`` naming a ``dead_letter_reason`` (a
        handler's deliberate refusal, such as ``clock_skew``); anything else is
        ``handler_error`` with the outermost message.
        """
        seen: BaseException | None = exc
        depth = 0
        while seen is not None and depth < 16:
            if isinstance(seen, ModelOnexError):
                declared = seen.context.get(DEAD_LETTER_REASON_KEY)
                if isinstance(declared, str) and declared in _DEAD_LETTER_REASONS:
                    return EnumDeadLetterReason(declared), _one_line(str(seen))
            seen = seen.__cause__ or seen.__context__
            depth += 1
        return EnumDeadLetterReason.HANDLER_ERROR, _one_line(str(exc) or type(exc).__name__)

    @staticmethod
    def _dead_letter(
        txn: ProtocolRegistrationTransaction,
        item: _Item,
        envelope: ModelEventEnvelope[Any],
        inbox_id: UUID,
        tally: _Tally,
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

    def _inbox_id(self, value: RuntimeInput) -> UUID | None:
        """The inbox key of an input: its envelope id, scoped to this partition unless it is a
        message about a node this partition owns.

        Partitions share one inbox. A node message belongs to exactly one partition, so its
        envelope id is the key and a redelivery to any process is a duplicate. Every partition
        receives every tick, and a misrouted message reaches a partition that must not consume
        it for the owner: those are keyed per partition, so each partition applies its own
        tick once and a misrouted copy never blocks the owner's.
        """
        if isinstance(value, ModelDeadLetter):
            return None if value.envelope_id is None else self._inbox_key(value.envelope_id, None)
        return self._inbox_key(value.envelope_id, value.payload)

    def _inbox_key(self, envelope_id: UUID, payload: object) -> UUID:
        """The inbox key of ``envelope_id`` carrying ``payload`` (see :meth:`_inbox_id`)."""
        if self._partition.count == 1:
            return envelope_id
        node_id = getattr(payload, "node_id", None)
        if isinstance(node_id, UUID) and self._partition.owns(node_id):
            return envelope_id
        return uuid5(envelope_id, f"partition {self._partition.key}")

    def _check_open(self, method: str) -> None:
        if self._closed:
            raise ModelOnexError(
                f"ServiceRegistrationRuntime.{method}: the runtime is closed; build a new one",
                EnumCoreErrorCode.INVALID_STATE,
            )


def _prefetch(
    txn: ProtocolRegistrationTransaction,
    batch: list[_Item],
    inbox_id: Callable[[RuntimeInput], UUID | None],
) -> None:
    """Let a store that can read ahead (PostgreSQL) fetch the batch's inbox records and node
    rows in one go instead of one round trip per message."""
    prefetch = getattr(txn, "prefetch", None)
    if prefetch is None:
        return
    envelope_ids: list[UUID] = []
    node_ids: list[UUID] = []
    for item in batch:
        value = item.value
        envelope_id = inbox_id(value)
        if envelope_id is not None:
            envelope_ids.append(envelope_id)
        node_id = getattr(getattr(value, "payload", None), "node_id", None)
        if isinstance(node_id, UUID):
            node_ids.append(node_id)
    prefetch(envelope_ids, node_ids)


def _run_batch(
    loop: asyncio.AbstractEventLoop,
    apply_batch: Callable[
        [list[_Item]], Coroutine[Any, Any, tuple[_Tally, list[ModelLifecycleEvent]]]
    ],
    batch: list[_Item],
) -> tuple[_Tally, list[ModelLifecycleEvent]]:
    return loop.run_until_complete(apply_batch(batch))


def _raw_text(item: _Item, envelope: ModelEventEnvelope[Any]) -> str:
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
