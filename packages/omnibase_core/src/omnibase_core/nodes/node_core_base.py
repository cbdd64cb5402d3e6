"""What every node holds: its container, its id and its contract."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

from omnibase_core.enums.enum_core_error_code import EnumCoreErrorCode
from omnibase_core.models.errors.model_onex_error import ModelOnexError

if TYPE_CHECKING:
    from omnibase_core.models.container.model_onex_container import ModelONEXContainer


class NodeCoreBase:
    """Base of every node: the dependency container, a node id and the loaded contract.

    ``contract`` is any loaded node contract (typically ``load_contract(path)``). Knows
    nothing of routing: a node that routes messages to handlers derives from
    :class:`NodeRoutingBase`. Cooperative: extra keyword arguments are forwarded to the next
    base.
    """

    def __init__(
        self,
        container: ModelONEXContainer,
        contract: Any | None = None,
        *,
        node_id: UUID | None = None,
        **kwargs: Any,
    ) -> None:
        """Raises ``ModelOnexError(INVALID_PARAMETER)`` when ``container`` is ``None``."""
        super().__init__(**kwargs)
        if container is None:
            raise ModelOnexError(
                f"{type(self).__name__}: container is None; pass a ModelONEXContainer",
                EnumCoreErrorCode.INVALID_PARAMETER,
            )
        self._container = container
        self._contract = contract
        self._node_id = node_id if node_id is not None else uuid4()

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
