"""Building a contract problem located at a value of the contract's YAML document."""

from __future__ import annotations

from typing import Literal

from omnibase_core.contracts.model_yaml_document import (
    ModelYamlDocument,
    YamlPath,
    format_field_path,
)
from omnibase_core.models.contracts.model_contract_problem import ModelContractProblem


def problem_at(
    document: ModelYamlDocument | None,
    source: str,
    path: YamlPath,
    message: str,
    severity: Literal["error", "warning"] = "error",
    hint: str = "",
) -> ModelContractProblem:
    """A problem about the value at ``path``: located in ``document`` when given, else at
    ``source:1:1``."""
    if document is None:
        line, column = 1, 1
    else:
        source = document.source
        line, column = document.value_position(path)
    return ModelContractProblem(
        path=source,
        line=line,
        column=column,
        field=format_field_path(path),
        message=message,
        hint=hint,
        severity=severity,
    )
