"""A node that routes each message to the handlers its contract declares, then runs them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, cast

from omnibase_core.enums.enum_handler_routing_strategy import EnumHandlerRoutingStrategy
from omnibase_core.mixins.mixin_handler_execution import MixinHandlerExecution
from omnibase_core.mixins.mixin_handler_routing import MixinHandlerRouting
from omnibase_core.nodes.node_core_base import NodeCoreBase

if TYPE_CHECKING:
    from omnibase_core.models.container.model_onex_container import ModelONEXContainer
    from omnibase_core.models.contracts.model_contract import ModelContract
    from omnibase_core.models.contracts.subcontracts import ModelHandlerRoutingSubcontract
    from omnibase_core.models.dispatch.model_handler_output import ModelHandlerOutput
    from omnibase_core.models.events.model_event_envelope import ModelEventEnvelope
    from omnibase_core.protocols.protocol_handler_registry import ProtocolHandlerRegistry

#: The container key under which a node looks for its handler registry.
HANDLER_REGISTRY_KEY = "ProtocolHandlerRegistry"


class NodeRoutingBase(NodeCoreBase, MixinHandlerExecution, MixinHandlerRouting):
    """A node built from a contract: its routing is initialised in ``__init__`` and
    :meth:`process` routes each message, then awaits the routed handlers in order.

    The composition is spelled out: :class:`NodeCoreBase` (container, id, contract),
    :class:`MixinHandlerRouting` (which handlers) and :class:`MixinHandlerExecution` (running
    them). A subclass sets :attr:`default_routing_strategy`, the envelope field routed on when
    the contract has no ``handler_routing`` section. See :meth:`_init_routing_from_contract`
    for where the handler registry comes from.
    """

    #: The strategy used without a routing section (a contract's own strategy always wins).
    default_routing_strategy: ClassVar[EnumHandlerRoutingStrategy] = (
        EnumHandlerRoutingStrategy.PAYLOAD_TYPE_MATCH
    )

    def __init__(
        self, container: ModelONEXContainer, contract: Any | None = None, **kwargs: Any
    ) -> None:
        """Build the node as :class:`NodeCoreBase` does (``node_id`` and any other keyword go
        on to it), then initialise its routing from the contract.

        Raises ``ModelOnexError(INVALID_PARAMETER)`` when ``container`` is ``None``, and what
        :meth:`_init_routing_from_contract` raises when the contract's routing is broken.
        """
        super().__init__(container, contract, **kwargs)
        self._init_routing_from_contract()

    @property
    def contract_handler_routing(self) -> ModelHandlerRoutingSubcontract | None:
        """The contract's ``handler_routing`` section, or ``None`` (no contract or no section)."""
        routing: ModelHandlerRoutingSubcontract | None = getattr(
            self.contract, "handler_routing", None
        )
        return routing

    def find_handler_registry(self) -> ProtocolHandlerRegistry | None:
        """The handler registry in the container, or ``None`` when there is none.

        Looks under the ``"ProtocolHandlerRegistry"`` key first, then for any registered
        ``ServiceHandlerRegistry``.
        """
        from omnibase_core.services.service_handler_registry import ServiceHandlerRegistry

        container = self.container
        if container.has_service(HANDLER_REGISTRY_KEY):
            registry: ProtocolHandlerRegistry = container.get_service(HANDLER_REGISTRY_KEY)
            return registry
        if container.has_service(ServiceHandlerRegistry):
            return container.get_service(ServiceHandlerRegistry)
        return None

    async def process(self, envelope: ModelEventEnvelope[Any]) -> list[ModelHandlerOutput]:
        """Route ``envelope`` by (routing key, category), await each handler in order.

        The routing key is the envelope field the strategy reads (``payload_type``,
        ``operation`` or ``topic``). Returns the handlers' outputs in routing order (empty
        when no handler matches). Raises what :meth:`_route_envelope` raises, and
        ``ModelOnexError(HANDLER_EXECUTION_ERROR)`` naming the handler and the envelope when
        a handler fails.
        """
        handlers = self._route_envelope(envelope, self.default_routing_strategy)
        return await self.execute_handlers(envelope, handlers)

    def _init_routing_from_contract(self) -> None:
        """Initialise routing from the contract and the container:

        - a registry in the container: routing is initialised from ``handler_routing`` (or
          empty) against it, failing fast when the registry is frozen;
        - no registry and no ``handler_routing``: empty routing against an empty frozen
          registry;
        - no registry and a ``handler_routing`` section whose every entry names its handler
          class (live shape, ``handler: {name, module}``): the registry is built from those
          classes with the node's container (:func:`build_handler_registry`) and routing is
          initialised against it; no registration code is needed;
        - no registry and a section with canonical entries (``handler_key``): routing stays
          uninitialised; the owner calls
          ``node._init_handler_routing(node.contract_handler_routing, registry)`` once its
          registry is built (``process`` raises ``INVALID_STATE`` until then).

        Raises ``ModelOnexError(CONTRACT_VALIDATION_ERROR)`` naming the contract line when a
        handler class cannot be imported, constructed or used, and what
        ``_init_handler_routing`` raises.
        """
        from omnibase_core.services.service_handler_registry import ServiceHandlerRegistry

        handler_routing = self.contract_handler_routing
        registry = self.find_handler_registry()
        if registry is not None:
            self._init_handler_routing(handler_routing, registry)
        elif handler_routing is None:
            empty = ServiceHandlerRegistry()
            empty.freeze()
            self._init_handler_routing(None, empty)
        elif handler_routing.handlers and all(
            entry.handler is not None for entry in handler_routing.handlers
        ):
            from omnibase_core.contracts.contract_handler_registry import (
                build_handler_registry,
            )

            built = build_handler_registry(cast("ModelContract", self.contract), self.container)
            self._init_handler_routing(handler_routing, built)
