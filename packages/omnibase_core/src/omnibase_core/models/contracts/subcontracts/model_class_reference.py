"""A reference to a Python class by name and module, as live-shape contracts write them."""

from __future__ import annotations

import keyword

from pydantic import BaseModel, ConfigDict, field_validator

from omnibase_core.models.contracts.contract_field_error import field_error
from omnibase_core.models.primitives.contract_key import ContractKey


def _is_identifier(text: str) -> bool:
    return text.isidentifier() and not keyword.iskeyword(text)


class ModelClassReference(BaseModel):
    """``{name: HandlerOrderPlaced, module: shop.handlers.handler_order_placed}``.

    ``name`` is the class name (a Python identifier), ``module`` the dotted module that
    defines it; ``description`` is documentation. Used for a routing entry's ``handler`` (the
    class that is imported and constructed) and for ``event_model``, ``input_model`` and
    ``output_model`` (documentation; ``event_model.name`` is also a routing key).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: ContractKey
    module: ContractKey
    description: str = ""

    @field_validator("name")
    @classmethod
    def _class_name(cls, value: str) -> str:
        if not _is_identifier(value):
            raise field_error(
                "",
                f"{value!r} is not a Python class name",
                "write the bare class name (e.g. HandlerOrderPlaced) and its package in 'module'",
            )
        return value

    @field_validator("module")
    @classmethod
    def _module_path(cls, value: str) -> str:
        if not all(_is_identifier(part) for part in value.split(".")):
            raise field_error(
                "",
                f"{value!r} is not a Python module path",
                "write dotted identifiers (e.g. shop.handlers.handler_order_placed)",
            )
        return value

    @property
    def qualified_name(self) -> str:
        """``module.name``, as shown in messages."""
        return f"{self.module}.{self.name}"
