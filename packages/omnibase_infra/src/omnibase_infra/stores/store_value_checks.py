"""The wire limits applied by every store to what it is asked to write.

The wire codec already refuses every value beyond the limits of :mod:`omnibase_infra.wire`;
the stores check again (defence in depth, and for values built in Python rather than decoded),
so all three backends refuse exactly the same values, with :class:`ModelStoreDataError`, before
any of them reaches a database that might fail in its own way or accept it and fail on reading
it back.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from omnibase_core.enums import EnumCoreErrorCode
from omnibase_infra.models import ModelDeadLetter, ModelLifecycleEvent, ModelRegistrationProjection
from omnibase_infra.stores.model_store_data_error import ModelStoreDataError
from omnibase_infra.wire import (
    canonical_json,
    find_violation,
    instant_violation,
    integer_violation,
    text_violation,
)


def refuse(where: str, what: str, problem: str) -> ModelStoreDataError:
    """The error for a value named ``what`` that ``where`` cannot store because of ``problem``."""
    return ModelStoreDataError(
        f"{where}: cannot store {what}: {problem}",
        EnumCoreErrorCode.VALIDATION_ERROR,
        {"where": where, "value": what},
    )


def check_projection(
    where: str,
    node: ModelRegistrationProjection,
    previous: ModelRegistrationProjection | None = None,
) -> None:
    """Raise :class:`ModelStoreDataError` unless every value of ``node`` is storable.

    Values that are the very objects of ``previous`` (a row derived from it with a few fields
    changed, already checked when it was written) are not checked again: a check is a pure
    function of an immutable value, so such a value passes now as it passed then. The first
    problem is reported in field order (texts, epoch, instants, capabilities, endpoints).
    """
    problem = _row_problem(node) if previous is None else _changed_row_problem(node, previous)
    if problem is not None:
        raise refuse(where, f"the row of node {node.node_id}", problem)


#: The instant fields of a row, in field order.
_INSTANT_FIELDS: Final = (
    "registered_at",
    "last_heartbeat_at",
    "liveness_deadline",
    "last_introspection_at",
    "updated_at",
)


def _row_problem(node: ModelRegistrationProjection) -> str | None:
    """The first value of ``node`` beyond the wire limits, or ``None``."""
    problem = text_violation(node.node_name) or text_violation(node.node_version)
    problem = problem or integer_violation(node.epoch)
    for moment in (
        node.registered_at,
        node.last_heartbeat_at,
        node.liveness_deadline,
        node.last_introspection_at,
        node.updated_at,
    ):
        if problem is None and moment is not None:
            problem = instant_violation(moment)
    problem = problem or find_violation(node.capabilities, "capabilities")
    return problem or find_violation(node.endpoints, "endpoints")


def _changed_row_problem(
    node: ModelRegistrationProjection, previous: ModelRegistrationProjection
) -> str | None:
    """:func:`_row_problem` for the values of ``node`` that are not those of ``previous``."""
    new, old = node.__dict__, previous.__dict__
    problem = None
    if new["node_name"] is not old["node_name"]:
        problem = text_violation(new["node_name"])
    if problem is None and new["node_version"] is not old["node_version"]:
        problem = text_violation(new["node_version"])
    if problem is None and new["epoch"] is not old["epoch"]:
        problem = integer_violation(new["epoch"])
    if problem is None:
        for name in _INSTANT_FIELDS:
            moment = new[name]
            # an instant with an offset in the years 2..9998 is storable whatever the offset
            # (instant_violation's own first test); anything else is asked properly
            if (
                moment is not old[name]
                and moment is not None
                and not (moment.utcoffset() is not None and 1 < moment.year < 9999)
            ):
                problem = instant_violation(moment)
                if problem is not None:
                    break
    if problem is None and new["capabilities"] is not old["capabilities"]:
        problem = find_violation(new["capabilities"], "capabilities")
    if problem is None and new["endpoints"] is not old["endpoints"]:
        problem = find_violation(new["endpoints"], "endpoints")
    return problem


def check_instant(where: str, what: str, moment: datetime) -> None:
    """Raise :class:`ModelStoreDataError` unless ``moment`` is a storable instant."""
    problem = instant_violation(moment)
    if problem is not None:
        raise refuse(where, what, problem)


def check_text(where: str, what: str, text: str | None) -> None:
    """Raise :class:`ModelStoreDataError` unless ``text`` (``None`` allowed) is storable."""
    problem = None if text is None else text_violation(text)
    if problem is not None:
        raise refuse(where, what, problem)


def check_events(where: str, events: list[ModelLifecycleEvent]) -> None:
    """Raise :class:`ModelStoreDataError` unless every event is storable (its data, topic and
    emission time)."""
    for event in events:
        problem = find_violation(
            {"topic": event.topic, "emitted_at": event.emitted_at, "data": event.data}
        )
        if problem is not None:
            raise refuse(where, f"event {event.event_id}", problem)


def check_dead_letter(where: str, letter: ModelDeadLetter) -> None:
    """Raise :class:`ModelStoreDataError` unless every value of ``letter`` is storable."""
    values: Mapping[str, object] = {
        "detail": letter.detail,
        "source": letter.source,
        "line_number": letter.line_number,
        "raw": letter.raw,
        "recorded_at": letter.recorded_at,
    }
    problem = find_violation(values)
    if problem is not None:
        raise refuse(where, f"dead letter {letter.dead_letter_id}", problem)


def check_record(where: str, kind: str, key: str, document: Mapping[str, Any]) -> str:
    """The canonical JSON text of a record's ``document``, after holding ``kind``, ``key`` and
    ``document`` to the wire limits. Raises ``ModelStoreDataError`` for a non-text or empty
    kind or key, a value beyond the limits, or a document that is not a JSON object."""
    for what, text in (("the record kind", kind), ("the record key", key)):
        if not isinstance(text, str) or not text:
            raise refuse(where, what, f"{text!r} is not a non-empty string")
        check_text(where, what, text)
    if not isinstance(document, Mapping):
        raise refuse(where, "the record", f"a {type(document).__name__} is not a JSON object")
    violation = find_violation(dict(document))
    if violation is not None:
        raise refuse(where, "the record", violation)
    try:
        return canonical_json(document)
    except (TypeError, ValueError) as exc:
        raise refuse(where, "the record", f"not JSON: {exc}") from None
