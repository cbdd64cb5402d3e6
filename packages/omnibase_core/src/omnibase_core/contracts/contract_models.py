"""Which model checks a contract: the node's own, declared through an entry point.

A node types the sections of its contract (``lifecycle``, ...) with a subclass of
:class:`ModelContract` and declares it, keyed by the contract's ``name``, in the entry-point
group ``onex.contract_models`` of its package::

    [project.entry-points."onex.contract_models"]
    node_registration_orchestrator = "omnibase_infra.nodes...:ModelRegistrationContract"

``load_contract`` and ``onex contract validate`` then check those sections like
``handler_routing``, with ``path:line:column`` errors, without being told which node the file
belongs to. A contract whose name no package declares is checked as a plain
:class:`ModelContract`.
"""

from __future__ import annotations

import sys
from functools import lru_cache
from importlib.metadata import EntryPoint, entry_points
from typing import Final

from omnibase_core.contracts.contract_errors import build_contract_error
from omnibase_core.contracts.model_yaml_document import ModelYamlDocument
from omnibase_core.enums.enum_core_error_code import EnumCoreErrorCode
from omnibase_core.models.contracts.model_contract import ModelContract
from omnibase_core.models.contracts.model_contract_problem import ModelContractProblem
from omnibase_core.models.errors.model_onex_error import ModelOnexError

#: The entry-point group in which packages declare the contract model of each node.
CONTRACT_MODELS_GROUP: Final = "onex.contract_models"


def find_contract_model(name: str) -> type[ModelContract] | None:
    """The contract model an installed package declares for contracts named ``name``.

    ``None`` when no package declares one. Raises ``ModelOnexError(CONFIGURATION_ERROR)``
    naming the entry point and its distribution when the declared object cannot be imported or
    is not a :class:`ModelContract` subclass, or when two packages declare different models for
    the same name: an installation problem, never silently ignored.
    """
    declared = _declarations(tuple(sys.path)).get(name.strip(), ())
    if not declared:
        return None
    if len({entry.value for entry in declared}) > 1:
        targets = ", ".join(f"{entry.value} ({_origin(entry)})" for entry in declared)
        raise _configuration_error(
            name,
            f"several packages declare a contract model for {name!r}: {targets}; uninstall "
            "all but one",
        )
    entry = declared[0]
    try:
        model = entry.load()
    except Exception as exc:
        raise _configuration_error(
            name,
            f"the contract model {entry.value} declared for {name!r} by {_origin(entry)} "
            f"cannot be imported ({type(exc).__name__}: {exc}); reinstall that package",
        ) from None
    if not (isinstance(model, type) and issubclass(model, ModelContract)):
        raise _configuration_error(
            name,
            f"{entry.value}, declared for {name!r} by {_origin(entry)}, is not a subclass of "
            "ModelContract; point the entry point at the node's contract model",
        )
    return model


def contract_model_for(document: ModelYamlDocument) -> type[ModelContract]:
    """The model to validate ``document`` with: the model declared for its ``name``, else
    :class:`ModelContract` (also when ``name`` is missing or not text; validation reports it).

    Raises ``ModelOnexError(CONTRACT_VALIDATION_ERROR)`` with one problem located at ``name``
    when the declared model cannot be loaded (see :func:`find_contract_model`).
    """
    name = document.data.get("name")
    if not isinstance(name, str) or not name.strip():
        return ModelContract
    try:
        return find_contract_model(name) or ModelContract
    except ModelOnexError as exc:
        line, column = document.value_position(("name",))
        problem = ModelContractProblem(
            path=document.source, line=line, column=column, field="name", message=exc.message
        )
        raise build_contract_error("load_contract", document.source, [problem]) from None


@lru_cache(maxsize=8)
def _declarations(search_path: tuple[str, ...]) -> dict[str, tuple[EntryPoint, ...]]:
    """Every declaration of the group, by name (cached per ``sys.path``)."""
    found: dict[str, list[EntryPoint]] = {}
    for entry in entry_points(group=CONTRACT_MODELS_GROUP):
        found.setdefault(entry.name.strip(), []).append(entry)
    return {name: tuple(entries) for name, entries in found.items()}


def _origin(entry: EntryPoint) -> str:
    dist = entry.dist
    return f"{dist.name} {dist.version}" if dist is not None else "an unnamed distribution"


def _configuration_error(name: str, message: str) -> ModelOnexError:
    return ModelOnexError(
        message,
        EnumCoreErrorCode.CONFIGURATION_ERROR,
        {"contract_name": name, "entry_point_group": CONTRACT_MODELS_GROUP},
    )
