"""Input checks shared by every store's leases and relay cursors."""

from __future__ import annotations

from typing import Any

from omnibase_core.enums import EnumCoreErrorCode
from omnibase_core.models.errors import ModelOnexError
from omnibase_infra.wire import INT64_MAX, text_violation

NAME_MAX = 200


def check_name(where: str, name: Any, what: str = "lease name") -> str:
    """``name`` when it is a usable lease (or owner) name: a non-empty ``str`` of at most 200
    characters without NUL or lone surrogates. Raises ``ModelOnexError(VALIDATION_ERROR)``."""
    problem: str | None = None
    if not isinstance(name, str):
        problem = f"must be a string, got {type(name).__name__}"
    elif not name.strip():
        problem = "must not be empty or blank"
    elif len(name) > NAME_MAX:
        problem = f"has {len(name)} characters, at most {NAME_MAX} are allowed"
    else:
        problem = text_violation(name)
    if problem is not None:
        raise ModelOnexError(
            f"{where}: the {what} {name!r} {problem}; pass a name such as "
            "'onex-registration/3' or 'relay'"
            if what == "lease name"
            else f"{where}: the {what} {name!r} {problem}",
            EnumCoreErrorCode.VALIDATION_ERROR,
            {"where": where, what.replace(" ", "_"): repr(name)},
        )
    assert isinstance(name, str)
    return name


def check_whole(where: str, value: Any, what: str, minimum: int) -> int:
    """``value`` when it is an ``int`` (not ``bool``) in ``minimum..2**63-1``. Raises
    ``ModelOnexError(VALIDATION_ERROR)`` naming ``what`` and the value."""
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= INT64_MAX:
        raise ModelOnexError(
            f"{where}: the {what} {value!r} must be a whole number from {minimum} to {INT64_MAX}",
            EnumCoreErrorCode.VALIDATION_ERROR,
            {"where": where, what.replace(" ", "_"): repr(value)},
        )
    return value


def closed_error(where: str, owner: str) -> ModelOnexError:
    """The error for using a lease manager after :meth:`close`."""
    return ModelOnexError(
        f"{where}: the leases of {owner!r} are closed; open new ones with store.open_leases()",
        EnumCoreErrorCode.INVALID_STATE,
        {"owner": owner},
    )


def check_forward(where: str, name: str, current: int, sequence: int) -> None:
    """Raise ``ModelOnexError(INVALID_STATE)`` when ``sequence`` would move relay ``name``'s
    cursor back from ``current``."""
    if sequence < current:
        raise ModelOnexError(
            f"{where}: relay {name!r} cannot move its cursor back from {current} to {sequence}; "
            "a relay resumes from relay_cursor() and only moves forward",
            EnumCoreErrorCode.INVALID_STATE,
            {"relay": name, "cursor": current, "sequence": sequence},
        )
