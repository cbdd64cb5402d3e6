"""Handlers that decide inside the engine's store transaction, handed to them explicitly.

A node on the engine registers handlers whose ``handle(envelope, txn)`` receives the open
transaction as an argument: the engine opens it, the node passes it on, the handler reads
through it. There is no "current transaction" lookup anywhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol, TypeVar, cast

from omnibase_core.enums import EnumCoreErrorCode, EnumMessageCategory, EnumNodeKind
from omnibase_core.models.dispatch import ModelHandlerOutput
from omnibase_core.models.errors import ModelOnexError
from omnibase_core.models.events import ModelEventEnvelope
from omnibase_core.protocols.protocol_message_handler import ProtocolMessageHandler
from omnibase_core.services import ServiceHandlerRegistry

TxnT_contra = TypeVar("TxnT_contra", contravariant=True)


class ProtocolTransactionHandler(Protocol[TxnT_contra]):
    """A message handler of a node on the engine: the shape the handler registry checks
    (``handler_id``, ``category``, ``message_types``, ``node_kind``), and ``handle`` taking the
    engine's open transaction. A handler only reads; what it decides to write it returns as
    intents, which the engine applies in the same transaction.
    """

    @property
    def handler_id(self) -> str: ...

    @property
    def category(self) -> EnumMessageCategory: ...

    @property
    def message_types(self) -> set[str]: ...

    @property
    def node_kind(self) -> EnumNodeKind: ...

    async def handle(
        self, envelope: ModelEventEnvelope[Any], txn: TxnT_contra
    ) -> ModelHandlerOutput: ...


def freeze_transaction_handlers(
    handlers: Iterable[ProtocolTransactionHandler[Any]],
) -> ServiceHandlerRegistry:
    """A frozen handler registry holding ``handlers`` (validated by the registry as any
    handler is), for a node to route over.

    Raises ``ModelOnexError`` from :meth:`ServiceHandlerRegistry.register_handler` for a
    handler of an illegal shape or a duplicate id.
    """
    registry = ServiceHandlerRegistry()
    for handler in handlers:
        # The registry checks the shape it routes by; ``handle`` is called by
        # run_transaction_handlers with the transaction, never by the registry.
        registry.register_handler(cast(ProtocolMessageHandler, handler))
    registry.freeze()
    return registry


async def run_transaction_handlers(
    owner: str,
    envelope: ModelEventEnvelope[Any],
    handlers: Sequence[ProtocolMessageHandler],
    txn: object,
) -> list[ModelHandlerOutput]:
    """Await each routed handler on ``envelope`` with ``txn``, in routing order.

    ``handlers`` are what the node's routing returned from a registry built by
    :func:`freeze_transaction_handlers`. Stops at the first failure: a handler that raises, or
    returns something other than a ``ModelHandlerOutput``, becomes
    ``ModelOnexError(HANDLER_EXECUTION_ERROR)`` naming ``owner``, the handler and the envelope,
    with the original exception as ``__cause__`` (so a refusal stays findable).
    """
    outputs: list[ModelHandlerOutput] = []
    for routed in handlers:
        handler: ProtocolTransactionHandler[object] = routed  # type: ignore[assignment]
        try:
            output = await handler.handle(envelope, txn)
        except Exception as exc:
            raise ModelOnexError(
                f"{owner}: handler {handler.handler_id!r} failed on envelope "
                f"{envelope.envelope_id} ({envelope.payload_type or 'no payload_type'}): "
                f"{type(exc).__name__}: {exc}",
                EnumCoreErrorCode.HANDLER_EXECUTION_ERROR,
                {
                    "handler_id": handler.handler_id,
                    "envelope_id": str(envelope.envelope_id),
                    "error_type": type(exc).__name__,
                },
            ) from exc
        if not isinstance(output, ModelHandlerOutput):
            raise ModelOnexError(
                f"{owner}: handler {handler.handler_id!r} returned {type(output).__name__} for "
                f"envelope {envelope.envelope_id}; handle() must return a ModelHandlerOutput",
                EnumCoreErrorCode.HANDLER_EXECUTION_ERROR,
                {"handler_id": handler.handler_id, "envelope_id": str(envelope.envelope_id)},
            )
        outputs.append(output)
    return outputs
