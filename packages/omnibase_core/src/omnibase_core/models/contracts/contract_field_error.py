"""Validation errors that name the exact field of a contract they are about.

Model validators can only raise errors at the model's own location; these errors carry the
field below it (``ctx["field"]``, a dotted path such as ``handler.module``) and the fix
(``ctx["hint"]``), so the contract loader can point at the right ``line:column`` and tools can
show the fix on its own.
"""

from __future__ import annotations

from typing import Final

from pydantic_core import PydanticCustomError

#: Error type of a problem about a field's value.
FIELD_ERROR: Final = "contract_field"
#: Error type of a required field that is absent (located at the mapping that lacks it).
MISSING_ERROR: Final = "missing"


def field_error(field: str, message: str, hint: str = "") -> PydanticCustomError:
    """An error about the value at ``field`` (relative to the model raising it)."""
    return PydanticCustomError(
        FIELD_ERROR, "{message}", {"message": message, "field": field, "hint": hint}
    )


def missing_field_error(field: str, message: str, hint: str) -> PydanticCustomError:
    """An error saying the model lacks ``field``; located at the model's own mapping."""
    return PydanticCustomError(
        MISSING_ERROR, "{message}", {"message": message, "field": field, "hint": hint}
    )
