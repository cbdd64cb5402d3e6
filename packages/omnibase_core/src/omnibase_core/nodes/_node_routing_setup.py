"""How a routing node initialises its routing from its contract and container."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from omnibase_core.models.contracts.subcontracts import ModelHandlerRoutingSubcontract
    from omnibase_core.protocols.protocol_handler_registry import ProtocolHandlerRegistry


class _RoutingNode(Protocol):
    @property
    def contract_handler_routing(self) -> ModelHandlerRoutingSubcontract | None: ...

    def find_handler_registry(self) -> ProtocolHandlerRegistry | None: ...

    def _init_handler_routing(
        self,
        handler_routing: ModelHandlerRoutingSubcontract | None,
        registry: ProtocolHandlerRegistry,
    ) -> None: ...


def init_routing_from_contract(node: _RoutingNode) -> None:
    """Initialise ``node``'s routing from its contract and container.

    - a registry in the container: routing is initialised from ``handler_routing`` (or empty)
      against it, failing fast when the registry is frozen;
    - no registry and no ``handler_routing``: empty routing against an empty frozen registry;
    - no registry but a ``handler_routing`` section: routing stays uninitialised; the owner
      calls ``node._init_handler_routing(node.contract_handler_routing, registry)`` once its
      registry is built (``process`` raises ``INVALID_STATE`` until then).
    """
    from omnibase_core.services.service_handler_registry import ServiceHandlerRegistry

    handler_routing = node.contract_handler_routing
    registry = node.find_handler_registry()
    if registry is not None:
        node._init_handler_routing(handler_routing, registry)
    elif handler_routing is None:
        empty = ServiceHandlerRegistry()
        empty.freeze()
        node._init_handler_routing(None, empty)
