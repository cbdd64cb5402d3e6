"""What every node holds: its container, its id and its contract."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast
from uuid import UUID, uuid4

from omnibase_core.enums.enum_core_error_code import EnumCoreErrorCode
from omnibase_core.mixins.mixin_handler_routing import MixinHandlerRouting
from omnibase_core.models.errors.model_onex_error import ModelOnexError

if TYPE_CHECKING:
    from omnibase_core.models.container.model_onex_container import ModelONEXContainer
    from omnibase_core.models.contracts.model_contract import ModelContract
    from omnibase_core.models.contracts.subcontracts import ModelHandlerRoutingSubcontract
    from omnibase_core.protocols.protocol_handler_registry import ProtocolHandlerRegistry

#: The container key under which a node looks for its handler registry.
HANDLER_REGISTRY_KEY = "ProtocolHandlerRegistry"


class NodeCoreBase:
    """Base of every node: the dependency container, a node id and the loaded contract.

    ``contract`` is any loaded node contract (typically ``load_contract(path)``); the node
    only reads its optional ``handler_routing`` attribute. A node that also mixes in
    :class:`MixinHandlerRouting` has its routing initialised at the end of ``__init__`` (see
    :meth:`_init_routing_from_contract`). Cooperative: extra keyword arguments are forwarded
    to the next base.
    """

    def __init__(
        self,
        container: ModelONEXContainer,
        contract: Any | None = None,
        *,
        node_id: UUID | None = None,
        **kwargs: Any,
    ) -> None:
        """Raises ``ModelOnexError(INVALID_PARAMETER)`` when ``container`` is ``None``.

        A routing node also raises what ``_init_handler_routing`` raises when the contract's
        routing is broken.
        """
        super().__init__(**kwargs)
        if container is None:
            raise ModelOnexError(
                f"{type(self).__name__}: container is None; pass a ModelONEXContainer",
                EnumCoreErrorCode.INVALID_PARAMETER,
            )
        self._container = container
        self._contract = contract
        self._node_id = node_id if node_id is not None else uuid4()
        self._init_routing_from_contract()

    @property
    def container(self) -> ModelONEXContainer:
        """The dependency container the node was built with."""
        return self._container

    @property
    def node_id(self) -> UUID:
        """This node instance's id."""
        return self._node_id

    @property
    def contract(self) -> Any | None:
        """The loaded contract, if the node was built with one."""
        return self._contract

    @property
    def contract_handler_routing(self) -> ModelHandlerRoutingSubcontract | None:
        """The contract's ``handler_routing`` section, or ``None`` (no contract or no section)."""
        routing: ModelHandlerRoutingSubcontract | None = getattr(
            self._contract, "handler_routing", None
        )
        return routing

    def find_handler_registry(self) -> ProtocolHandlerRegistry | None:
        """The handler registry in the container, or ``None`` when there is none.

        Looks under the ``"ProtocolHandlerRegistry"`` key first, then for any registered
        ``ServiceHandlerRegistry``.
        """
        from omnibase_core.services.service_handler_registry import ServiceHandlerRegistry

        container = self._container
        if container.has_service(HANDLER_REGISTRY_KEY):
            registry: ProtocolHandlerRegistry = container.get_service(HANDLER_REGISTRY_KEY)
            return registry
        if container.has_service(ServiceHandlerRegistry):
            return container.get_service(ServiceHandlerRegistry)
        return None

    def _init_routing_from_contract(self) -> None:
        """Initialise a routing node's routing from its contract and container.

        Does nothing for a node that does not mix in :class:`MixinHandlerRouting`. Otherwise:
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
        handler class cannot be imported, constructed or used.
        """
        from omnibase_core.services.service_handler_registry import ServiceHandlerRegistry

        if not isinstance(self, MixinHandlerRouting):
            return
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

            built = build_handler_registry(cast("ModelContract", self._contract), self._container)
            self._init_handler_routing(handler_routing, built)
