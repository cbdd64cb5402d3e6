"""The node engine: the only writer of a node's store, for any contract-driven node."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterable, Iterator
from datetime import datetime
from functools import partial
from itertools import islice
from typing import Any, Final, Generic, Self

from omnibase_core.enums import EnumCoreErrorCode
from omnibase_core.models.errors import ModelOnexError
from omnibase_infra.models import ModelPartition
from omnibase_infra.runtime.protocol_engine_node import ProtocolEngineNode, TxnT
from omnibase_infra.runtime.service_batch_applier import (
    BatchResult,
    ModelEngineItem,
    RuntimeInput,
    ServiceBatchApplier,
)
from omnibase_infra.runtime.service_gc_pause import ServiceGcPause
from omnibase_infra.runtime.service_run_progress import (
    EventsCallback,
    ModelLineCount,
    ProgressCallback,
    RunResult,
    ServiceRunProgress,
)
from omnibase_infra.runtime.wire_codec import decode_line, line_bytes
from omnibase_infra.runtime.wire_lines import is_blank_line, iter_wire_lines
from omnibase_infra.stores.protocol_engine_store import ProtocolEngineStore
from omnibase_infra.stores.store_retry import arun_with_store_retry, run_with_store_retry

DEFAULT_BATCH_SIZE: Final = 500


class ServiceNodeEngine(Generic[TxnT]):
    """Feeds envelopes to a node and commits its decisions, batch by batch.

    For each batch of inputs it opens one store transaction and, per input (see
    :class:`ServiceBatchApplier`): records a codec dead letter; skips an envelope whose inbox
    key the store already holds (a duplicate: exactly once per envelope); dead-letters a
    message this partition does not own by the node's partition rule
    (``misrouted_partition``); has the node decide with the open transaction (no handler:
    ``unroutable``; a handler raising: ``handler_error`` or the reason of its
    ``ModelMessageRefusedError``); applies the decision's intents, appends its events to the
    outbox and records the outcome (``applied``, or ``ignored`` with the reason). The batch
    commits as one transaction, so a crash loses at most the uncommitted batch, which a re-run
    redoes exactly once; a batch the database rolled back (lost connection, deadlock) is
    redone whole; a value the store refuses dead-letters its message alone
    (``store_rejected``).

    Synchronous API over the asynchronous node, with one private event loop for the whole life
    of the engine (call :meth:`apply_async` from inside a running loop instead). One engine is
    used by one thread at a time; :meth:`request_stop` (from a signal handler) ends a run after
    the batch in flight commits; :meth:`close` releases the loop (and the store when the engine
    owns it). The engine knows no node: see docs/architecture.md, "Writing a node".
    """

    def __init__(
        self,
        store: ProtocolEngineStore[TxnT],
        node: ProtocolEngineNode[TxnT],
        *,
        partition: ModelPartition | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        owns_store: bool = False,
    ) -> None:
        """Run ``node`` over ``store`` as ``partition`` (default: the one partition owning
        every key), ``batch_size`` inputs per transaction; ``owns_store`` closes the store with
        the engine.

        Raises ``ModelOnexError(INVALID_PARAMETER)`` for ``batch_size < 1``.
        """
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ModelOnexError(
                f"{type(self).__name__}: batch_size {batch_size!r} must be an integer >= 1",
                EnumCoreErrorCode.INVALID_PARAMETER,
                {"batch_size": batch_size},
            )
        self._store = store
        self._engine_node = node
        self._owns_store = owns_store
        self._partition = partition or ModelPartition()
        self._batch_size = batch_size
        self._applier = ServiceBatchApplier(store, node, self._partition, type(self).__name__)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False
        self._stop_requested = False

    # --- properties ------------------------------------------------------------------------------
    @property
    def store(self) -> ProtocolEngineStore[TxnT]:
        """The store this engine writes."""
        return self._store

    @property
    def engine_node(self) -> ProtocolEngineNode[TxnT]:
        """The node this engine runs."""
        return self._engine_node

    @property
    def partition(self) -> ModelPartition:
        """The partition this engine owns."""
        return self._partition

    @property
    def batch_size(self) -> int:
        """Inputs per committed transaction."""
        return self._batch_size

    @property
    def stop_requested(self) -> bool:
        """Whether :meth:`request_stop` was called (the current or next run ends early)."""
        return self._stop_requested

    # --- running ---------------------------------------------------------------------------------
    def request_stop(self) -> None:
        """Ask the running (or next) run to stop after the batch in flight commits: no input
        after that batch is read or applied, and the run returns what it committed. Safe to
        call from a signal handler; a stopped engine stays stopped."""
        self._stop_requested = True

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
        items = (ModelEngineItem(value) for value in inputs)
        return self._run(items, progress, on_events, collect_events)

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
        """Decode wire lines with the node's payload models and apply them like :meth:`apply`;
        each item of ``lines`` is one line (bytes, or text; an ending ``\\n`` is dropped).

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
        run = ServiceRunProgress(progress, on_events, collect_events)
        for batch in self._batches(ModelEngineItem(value) for value in inputs):
            # a batch the database rolled back (lost connection, deadlock) is redone whole
            run.commit(await arun_with_store_retry(partial(self._applier.apply_batch, batch)))
        return run.result()

    def close(self) -> None:
        """Close the event loop, and the store when the engine owns it. Idempotent."""
        if self._closed:
            return
        self._closed = True
        if self._loop is not None:
            self._loop.close()
            self._loop = None
        if self._owns_store:
            self._store.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # --- internals -------------------------------------------------------------------------------
    def _run_numbered(
        self,
        numbered: Iterable[tuple[int, bytes]],
        source: str,
        progress: ProgressCallback | None,
        on_events: EventsCallback | None,
        collect_events: bool,
        accepted_at: datetime | None,
    ) -> RunResult:
        count = ModelLineCount()
        payloads = self._engine_node.payload_catalog

        def items() -> Iterator[ModelEngineItem]:
            for number, line in numbered:
                if is_blank_line(line):
                    count.blank += 1
                    continue
                # no accept time given: the codec takes the clock only for a line without
                # an envelope_timestamp
                value = decode_line(
                    line,
                    payloads=payloads,
                    source=source,
                    line_number=number,
                    accepted_at=accepted_at,
                )
                yield ModelEngineItem(value, line, source, number, checked=True)

        return self._run(items(), progress, on_events, collect_events, count)

    def _run(
        self,
        items: Iterator[ModelEngineItem],
        progress: ProgressCallback | None,
        on_events: EventsCallback | None,
        collect_events: bool,
        lines: ModelLineCount | None = None,
    ) -> RunResult:
        self._check_open("apply")
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass
        else:
            raise ModelOnexError(
                f"{type(self).__name__}.apply: called inside a running event loop; "
                "await apply_async(...) there instead",
                EnumCoreErrorCode.INVALID_STATE,
            )
        if self._loop is None:
            self._loop = asyncio.new_event_loop()
        run = ServiceRunProgress(progress, on_events, collect_events, lines)
        with ServiceGcPause() as gc_pause:
            while batch := self._next_batch(items):
                # a batch the database rolled back (lost connection, deadlock) is redone whole
                run.commit(
                    run_with_store_retry(
                        partial(_run_batch, self._loop, self._applier.apply_batch, batch)
                    )
                )
                del batch  # collected below, with what it alone kept alive
                gc_pause.between_batches()
        return run.result()

    def _batches(self, items: Iterator[ModelEngineItem]) -> Iterator[list[ModelEngineItem]]:
        """``items`` cut into lists of at most ``batch_size``, one per transaction; none once a
        stop was requested."""
        while batch := self._next_batch(items):
            yield batch

    def _next_batch(self, items: Iterator[ModelEngineItem]) -> list[ModelEngineItem]:
        """The next at most ``batch_size`` items; empty at the end or once a stop was
        requested."""
        return [] if self._stop_requested else list(islice(items, self._batch_size))

    def _check_open(self, method: str) -> None:
        if self._closed:
            raise ModelOnexError(
                f"{type(self).__name__}.{method}: the runtime is closed; build a new one",
                EnumCoreErrorCode.INVALID_STATE,
            )


def _run_batch(
    loop: asyncio.AbstractEventLoop,
    apply_batch: Callable[[list[ModelEngineItem]], Coroutine[Any, Any, BatchResult]],
    batch: list[ModelEngineItem],
) -> BatchResult:
    return loop.run_until_complete(apply_batch(batch))
