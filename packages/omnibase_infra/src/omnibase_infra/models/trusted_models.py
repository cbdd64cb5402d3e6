"""Building models from values that were already validated, without validating them again.

The hot path of a run rebuilds the same few frozen models over and over from values that are
already of their declared types: rows a store wrote itself after validating them, a node row
with a few fields moved forward, an event given its commit sequence. Validation would cost
several times the rest of the work, and pydantic's ``model_construct`` walks every field's
aliases and defaults in Python, which costs even more. These functions set the instance's
state the way ``model_construct`` does, with every field given, so the result equals (``==``)
the validated model and has every field set.

Only for values that are already valid: nothing is checked, and a wrong value is stored as is.
"""

from __future__ import annotations

from typing import Any, Final, TypeVar

from pydantic import BaseModel

ModelT = TypeVar("ModelT", bound=BaseModel)

_setattr: Final = object.__setattr__
_new: Final = object.__new__


def construct_trusted(cls: type[ModelT], values: dict[str, Any]) -> ModelT:
    """An instance of ``cls`` holding ``values``: one entry per field of ``cls``, each already of
    its declared type, kept in the order the fields are declared (the order they are dumped
    in). Raises ``KeyError`` naming a field ``values`` lacks."""
    return construct_trusted_exact(cls, {name: values[name] for name in cls.__pydantic_fields__})


def construct_trusted_exact(cls: type[ModelT], values: dict[str, Any]) -> ModelT:
    """:func:`construct_trusted` for ``values`` that already hold exactly the fields of ``cls``
    in their declared order (a literal written field by field): ``values`` becomes the
    instance's own dictionary, nothing is reordered or copied. Raises nothing."""
    model = _new(cls)
    _setattr(model, "__dict__", values)
    _setattr(model, "__pydantic_fields_set__", set(values))
    _setattr(model, "__pydantic_extra__", None)
    _setattr(model, "__pydantic_private__", None)
    return model


def replace_trusted(model: ModelT, **changes: Any) -> ModelT:
    """A copy of ``model`` with ``changes`` (field names to values already of their declared
    types), like ``model.model_copy(update=changes)`` at a fraction of its cost."""
    values = {**model.__dict__, **changes}
    copy = _new(type(model))
    _setattr(copy, "__dict__", values)
    _setattr(copy, "__pydantic_fields_set__", set(values))
    _setattr(copy, "__pydantic_extra__", None)
    _setattr(copy, "__pydantic_private__", None)
    return copy
