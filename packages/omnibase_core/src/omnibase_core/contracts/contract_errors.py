"""Building and reading the one error that reports every problem of a contract."""

from __future__ import annotations

from collections.abc import Iterable

from omnibase_core.enums.enum_core_error_code import EnumCoreErrorCode
from omnibase_core.models.contracts.model_contract_problem import ModelContractProblem
from omnibase_core.models.errors.model_onex_error import ModelOnexError


def build_contract_error(
    method: str, source: str, problems: Iterable[ModelContractProblem]
) -> ModelOnexError:
    """One ``CONTRACT_VALIDATION_ERROR`` listing ``problems`` in file order, one per line.

    The message starts with ``method`` and the contract; each following line is
    ``path:line:column: field: message``. ``context["problems"]`` holds the same problems as
    plain dicts (``path``, ``line``, ``column``, ``field``, ``message``, ``severity``).
    """
    ordered = sorted(problems, key=ModelContractProblem.sort_key)
    count = len(ordered)
    header = (
        f"{method}: contract {source} is invalid ({count} problem{'s' if count != 1 else ''}); "
        "fix each line below"
    )
    message = "\n".join([header, *(problem.format() for problem in ordered)])
    return ModelOnexError(
        message,
        EnumCoreErrorCode.CONTRACT_VALIDATION_ERROR,
        {"source": source, "problems": [problem.as_context() for problem in ordered]},
    )


def problems_from_error(error: ModelOnexError) -> list[ModelContractProblem]:
    """The problems carried by an error from :func:`build_contract_error` (``[]`` if none)."""
    raw = error.context.get("problems", ())
    return [ModelContractProblem.model_validate(item) for item in raw]
