"""Load a node contract from YAML into :class:`ModelContract`, reporting located problems."""

from __future__ import annotations

import difflib
import enum
import os
import re
import types
import typing
from typing import Any, Final, TypeVar, overload

from pydantic import BaseModel, ValidationError

from omnibase_core.contracts._contract_documents import remember_document
from omnibase_core.contracts.contract_errors import build_contract_error
from omnibase_core.contracts.contract_file_reader import read_contract_file
from omnibase_core.contracts.contract_models import contract_model_for
from omnibase_core.contracts.model_yaml_document import (
    ModelYamlDocument,
    YamlPath,
    format_field_path,
    preview_value,
)
from omnibase_core.contracts.yaml_position_loader import DEFAULT_MAX_BYTES, YamlPositionLoader
from omnibase_core.models.contracts.model_contract import ModelContract
from omnibase_core.models.contracts.model_contract_problem import ModelContractProblem
from omnibase_core.models.primitives.contract_key import EMPTY_KEY_ERROR

#: A contract model: :class:`ModelContract` or a node's subclass typing its own sections.
ContractT = TypeVar("ContractT", bound=ModelContract)

_INDEXED_PREFIX: Final = re.compile(r"^(\w+)\[(\d+)\]")
#: Error types whose input is worth echoing back (the user typed a wrong value).
_ECHO_INPUT: Final = frozenset(
    {
        "int_type",
        "int_parsing",
        "int_from_float",
        "string_type",
        "bool_type",
        "bool_parsing",
        "float_type",
        "float_parsing",
        "enum",
        "literal_error",
        "greater_than_equal",
        "less_than_equal",
        "string_too_short",
        "model_type",
        "model_attributes_type",
        "tuple_type",
        "list_type",
        "dict_type",
        "invalid_key",
        EMPTY_KEY_ERROR,
    }
)


@overload
def load_contract(
    path: str | os.PathLike[str], *, max_bytes: int = DEFAULT_MAX_BYTES
) -> ModelContract: ...
@overload
def load_contract(
    path: str | os.PathLike[str], *, model: type[ContractT], max_bytes: int = DEFAULT_MAX_BYTES
) -> ContractT: ...
@overload
def load_contract(
    path: str | os.PathLike[str],
    *,
    model: type[ModelContract] | None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> ModelContract: ...
def load_contract(
    path: str | os.PathLike[str],
    *,
    model: type[ModelContract] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> ModelContract:
    """Read the contract at ``path``, validated by ``model``.

    Without ``model``, the model an installed package declares for the contract's ``name``
    (entry-point group ``onex.contract_models``, see :mod:`omnibase_core.contracts.contract_models`)
    checks the node's own sections, else :class:`ModelContract`; code that knows its node passes
    its model and gets an instance of it.

    Raises ``ModelOnexError(FILE_NOT_FOUND)`` when ``path`` is not a readable regular file
    (a FIFO or device is refused, never read; OS errors such as a name too long, a symbolic
    link loop or a denied permission are reported as one ``path:1:1`` problem), and one
    ``ModelOnexError(CONTRACT_VALIDATION_ERROR)`` listing every problem as
    ``path:line:column: field: message`` otherwise (YAML syntax, duplicate keys, unsafe tags,
    alias bombs, size above ``max_bytes``, bad encoding, schema errors in any section the
    model types, a declared model that cannot be loaded).
    """
    return load_contract_located(path, model=model, max_bytes=max_bytes)[0]


@overload
def load_contract_text(
    text: str | bytes, *, source: str = "<string>", max_bytes: int = DEFAULT_MAX_BYTES
) -> ModelContract: ...
@overload
def load_contract_text(
    text: str | bytes,
    *,
    model: type[ContractT],
    source: str = "<string>",
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> ContractT: ...
@overload
def load_contract_text(
    text: str | bytes,
    *,
    model: type[ModelContract] | None,
    source: str = "<string>",
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> ModelContract: ...
def load_contract_text(
    text: str | bytes,
    *,
    model: type[ModelContract] | None = None,
    source: str = "<string>",
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> ModelContract:
    """Like :func:`load_contract` for contract text already in memory, named ``source``."""
    return load_contract_text_located(text, model=model, source=source, max_bytes=max_bytes)[0]


def load_contract_located(
    path: str | os.PathLike[str],
    *,
    model: type[ModelContract] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> tuple[ModelContract, ModelYamlDocument]:
    """:func:`load_contract`, also returning the parsed document with every position.

    Tools use the positions to locate findings about a valid contract (unknown handler keys,
    shadowed routes). Raises as :func:`load_contract`.
    """
    source = str(path)
    loader = YamlPositionLoader(max_bytes=max_bytes, caller="load_contract")
    data = read_contract_file(source, loader)
    document = loader.load_bytes(data, source)
    return validate_contract_document(document, model), document


def load_contract_text_located(
    text: str | bytes,
    *,
    model: type[ModelContract] | None = None,
    source: str = "<string>",
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> tuple[ModelContract, ModelYamlDocument]:
    """:func:`load_contract_text`, also returning the parsed document with every position."""
    loader = YamlPositionLoader(max_bytes=max_bytes, caller="load_contract")
    if isinstance(text, bytes):
        document = loader.load_bytes(text, source)
    else:
        document = loader.load_text(text, source)
    return validate_contract_document(document, model), document


@overload
def validate_contract_document(document: ModelYamlDocument) -> ModelContract: ...
@overload
def validate_contract_document(
    document: ModelYamlDocument, model: type[ContractT]
) -> ContractT: ...
@overload
def validate_contract_document(
    document: ModelYamlDocument, model: type[ModelContract] | None
) -> ModelContract: ...
def validate_contract_document(
    document: ModelYamlDocument, model: type[ModelContract] | None = None
) -> ModelContract:
    """Validate parsed YAML as ``model`` (default: the model declared for the document's
    ``name``, else :class:`ModelContract`), locating every schema error.

    Raises one ``ModelOnexError(CONTRACT_VALIDATION_ERROR)`` listing all problems in file order.
    """
    model = model or contract_model_for(document)
    try:
        contract = model.model_validate(document.data)
    except ValidationError as exc:
        errors = _without_typo_echoes(exc.errors(include_url=False))
        problems = [_locate(document, error, model) for error in errors]
        raise build_contract_error("load_contract", document.source, problems) from None
    remember_document(contract, document)
    return contract


def _without_typo_echoes(errors: list[Any]) -> list[Any]:
    """Drop "required field is missing" when the same mapping has an unknown field that is a
    typo of it (``modul`` for ``module``): one mistake, one line."""
    typos: dict[YamlPath, list[str]] = {}
    for error in errors:
        if error["type"] == "extra_forbidden":
            typos.setdefault(tuple(error["loc"][:-1]), []).append(str(error["loc"][-1]))

    def echoed(error: Any) -> bool:
        if error["type"] != "missing" or "message" in (error.get("ctx") or {}):
            return False
        unknown = typos.get(tuple(error["loc"][:-1]), [])
        return bool(difflib.get_close_matches(str(error["loc"][-1]), unknown, n=1, cutoff=0.6))

    return [error for error in errors if not echoed(error)]


def _locate(
    document: ModelYamlDocument, error: Any, model: type[ModelContract]
) -> ModelContractProblem:
    loc: YamlPath = tuple(error["loc"])
    kind: str = error["type"]
    message: str = error["msg"].removeprefix("Value error, ")
    context: dict[str, Any] = error.get("ctx") or {}
    hint: str = context.get("hint", "") if isinstance(context.get("hint"), str) else ""
    indexed = _INDEXED_PREFIX.match(message)
    if kind == "value_error" and indexed is not None:
        loc = (*loc, indexed.group(1), int(indexed.group(2)))
    if isinstance(context.get("field"), str):
        loc = (*loc, *_parse_field(context["field"]))
    if kind == "missing":
        line, column = document.value_position(loc[:-1])
        if "message" not in context:
            message, hint = "required field is missing", "add it"
    elif kind == "extra_forbidden":
        line, column = document.key_position(loc)
        message = "unknown field"
        hint = _did_you_mean(str(loc[-1]), _field_names(loc[:-1], model))
    elif kind == "invalid_key":
        line, column = document.key_position(loc)
        hint = "quote the key"
    else:
        line, column = document.value_position(loc)
        if kind in _ECHO_INPUT:
            message = f"{message} (got {preview_value(error.get('input'))})"
        if kind == "enum" and isinstance(error.get("input"), str):
            choices = [str(member.value) for member in _enum_at(loc, model) or ()]
            hint = _did_you_mean(error["input"], choices)
    return ModelContractProblem(
        path=document.source,
        line=line,
        column=column,
        field=format_field_path(loc),
        message=message,
        hint=hint,
    )


def _parse_field(field: str) -> YamlPath:
    """``handler.module`` or ``handlers[2]`` as path parts (``""`` is no part)."""
    parts: list[Any] = []
    for piece in filter(None, field.split(".")):
        name, _, rest = piece.partition("[")
        if name:
            parts.append(name)
        parts.extend(int(index) for index in rest.replace("]", "[").split("[") if index)
    return tuple(parts)


def _did_you_mean(word: str, choices: list[str]) -> str:
    lowered = word.lower()
    close = [choice for choice in choices if lowered and choice.lower().startswith(lowered)]
    close = close or difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if close:
        return f"did you mean {close[0]!r}?"
    if choices:
        return f"expected one of: {', '.join(choices)}"
    return ""


def _annotation_at(loc: YamlPath, contract_model: type[ModelContract]) -> Any:
    """The type annotation ``contract_model`` declares at ``loc`` (``None`` if unknown)."""
    current: Any = contract_model
    for part in loc:
        if isinstance(part, int):
            args = [arg for arg in typing.get_args(current) if arg is not Ellipsis]
            current = args[0] if args else None
            continue
        model = _model_in(current)
        if model is None or part not in model.model_fields:
            return None
        current = model.model_fields[part].annotation
    return current


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside ``annotation`` (unwrapping ``X | None``)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            found = _model_in(arg)
            if found is not None:
                return found
    return None


def _field_names(loc: YamlPath, contract_model: type[ModelContract]) -> list[str]:
    model = _model_in(_annotation_at(loc, contract_model))
    return list(model.model_fields) if model is not None else []


def _enum_at(loc: YamlPath, model: type[ModelContract]) -> type[enum.Enum] | None:
    annotation = _annotation_at(loc, model)
    candidates = typing.get_args(annotation) or (annotation,)
    for candidate in candidates:
        if isinstance(candidate, type) and issubclass(candidate, enum.Enum):
            return candidate
    return None
