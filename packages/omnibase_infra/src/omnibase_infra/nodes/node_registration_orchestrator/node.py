"""The registration orchestrator node.

Files of this node:

- ``contract.yaml``: name, routing (``handler_routing``), topics and the ``lifecycle`` settings;
- ``handlers/handler_node_introspected.py``, ``handlers/handler_node_heartbeat.py``,
  ``handlers/handler_runtime_tick.py``: the three handlers, with ``handlers/handler_helpers.py``;
- ``registry/registry_infra_node_registration_orchestrator.py``: builds their frozen registry;
- ``models/``: payloads, settings and intents.

The runtime that feeds it and writes its decisions is
``omnibase_infra/runtime/service_registration_runtime.py``.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar, Final

from pydantic import ValidationError

from omnibase_core.contracts import load_contract
from omnibase_core.enums import EnumCoreErrorCode
from omnibase_core.models.container import ModelONEXContainer
from omnibase_core.models.contracts import ModelContract
from omnibase_core.models.errors import ModelOnexError
from omnibase_core.nodes import NodeOrchestrator
from omnibase_core.services import ServiceHandlerRegistry
from omnibase_infra.nodes.node_registration_orchestrator.models import ModelRegistrationSettings

#: ``lifecycle`` keys of the contract -> settings fields (seconds become durations).
_LIFECYCLE_SECONDS: Final = {
    "liveness_interval_seconds": "liveness_interval",
    "liveness_window_seconds": "liveness_window",
    "max_clock_skew_seconds": "max_clock_skew",
}
_LIFECYCLE_PLAIN: Final = {"expiry_batch_size": "expiry_batch_size"}


class NodeRegistrationOrchestrator(NodeOrchestrator):
    """Keeps the registry of live nodes: routes introspections, heartbeats and ticks to their
    handlers exactly as ``contract.yaml`` declares; no dispatch is written by hand.

    Construction loads the contract, takes the frozen :class:`ServiceHandlerRegistry` from the
    container and initialises routing, so an unknown handler key or a category mismatch stops
    construction with the contract path and the key. Messages flow through ``process()``.
    """

    #: The contract next to this module.
    DEFAULT_CONTRACT_PATH: ClassVar[Path] = Path(__file__).with_name("contract.yaml")

    def __init__(
        self,
        container: ModelONEXContainer,
        *,
        contract_path: str | os.PathLike[str] | None = None,
    ) -> None:
        """Load the contract (default :attr:`DEFAULT_CONTRACT_PATH`) and resolve its routing.

        Raises ``ModelOnexError``: ``FILE_NOT_FOUND`` or ``CONTRACT_VALIDATION_ERROR`` for an
        unreadable or invalid contract, ``SERVICE_NOT_FOUND`` when the container holds no
        handler registry, and the routing error (naming the contract path, every routing key
        and handler key at fault) when a handler key is unknown or of the wrong category.
        """
        path = Path(contract_path) if contract_path is not None else self.DEFAULT_CONTRACT_PATH
        contract = load_contract(path)
        # Fail fast with SERVICE_NOT_FOUND rather than leaving routing uninitialised.
        container.get_service(ServiceHandlerRegistry)
        self._contract_path = path
        try:
            # NodeOrchestrator resolves contract.handler_routing against the container's
            # frozen registry through _init_handler_routing, so every key is checked here.
            super().__init__(container, contract)
        except ModelOnexError as exc:
            raise ModelOnexError(
                f"NodeRegistrationOrchestrator: contract {path} cannot be routed: {exc.message}",
                exc.error_code,
                {**exc.context, "contract_path": str(path)},
            ) from exc
        self._registration_contract = contract

    @property
    def contract_path(self) -> Path:
        """The contract this node was built from."""
        return self._contract_path

    @property
    def registration_contract(self) -> ModelContract:
        """The loaded contract."""
        return self._registration_contract

    @classmethod
    def load_settings(
        cls,
        contract_path: str | os.PathLike[str] | None = None,
        **overrides: Any,
    ) -> ModelRegistrationSettings:
        """Settings from the contract's ``lifecycle`` section, then ``overrides`` (settings
        field names, e.g. ``expiry_batch_size=50`` or ``liveness_interval=timedelta(...)``).

        Missing keys keep the DESIGN 6.2 defaults. Raises ``ModelOnexError``: the contract's
        load errors, and ``CONTRACT_VALIDATION_ERROR`` naming the contract path and the key for
        an unknown key or an invalid value.
        """
        path = Path(contract_path) if contract_path is not None else cls.DEFAULT_CONTRACT_PATH
        section = load_contract(path).node_sections.get("lifecycle") or {}
        if not isinstance(section, dict):
            raise cls._settings_error(path, "lifecycle", "must be a mapping of settings")
        values: dict[str, Any] = {}
        for key, value in section.items():
            if key in _LIFECYCLE_SECONDS:
                if isinstance(value, bool) or not isinstance(value, int | float):
                    raise cls._settings_error(path, f"lifecycle.{key}", "must be seconds")
                values[_LIFECYCLE_SECONDS[key]] = timedelta(seconds=value)
            elif key in _LIFECYCLE_PLAIN:
                values[_LIFECYCLE_PLAIN[key]] = value
            else:
                allowed = ", ".join([*_LIFECYCLE_SECONDS, *_LIFECYCLE_PLAIN])
                raise cls._settings_error(
                    path, f"lifecycle.{key}", f"unknown setting (allowed: {allowed})"
                )
        values.update(overrides)
        try:
            return ModelRegistrationSettings.model_validate(values)
        except ValidationError as exc:
            problem = exc.errors(include_url=False)[0]
            where = ".".join(str(part) for part in problem["loc"])
            raise cls._settings_error(path, f"lifecycle.{where}", problem["msg"]) from None

    @staticmethod
    def _settings_error(path: Path, field: str, problem: str) -> ModelOnexError:
        return ModelOnexError(
            f"NodeRegistrationOrchestrator.load_settings: contract {path}: {field}: {problem}; "
            "fix the contract's lifecycle section",
            EnumCoreErrorCode.CONTRACT_VALIDATION_ERROR,
            {"contract_path": str(path), "field": field},
        )
