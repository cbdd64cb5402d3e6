"""Resolve a contract's handler keys against a handler registry, locating each failure."""

from __future__ import annotations

import difflib
from typing import Final

from omnibase_core.contracts._located_problem import problem_at
from omnibase_core.contracts.model_yaml_document import ModelYamlDocument, YamlPath
from omnibase_core.enums.enum_handler_routing_strategy import EnumHandlerRoutingStrategy
from omnibase_core.models.contracts.model_contract import ModelContract
from omnibase_core.models.contracts.model_contract_problem import ModelContractProblem
from omnibase_core.protocols.protocol_handler_registry import ProtocolHandlerRegistry
from omnibase_core.routing.model_compiled_routing_table import find_routing_problems

_SECTION: Final = "handler_routing"
_SHOWN_IDS: Final = 12


def check_contract_handlers(
    contract: ModelContract,
    registry: ProtocolHandlerRegistry,
    document: ModelYamlDocument | None = None,
    *,
    source: str = "<contract>",
) -> list[ModelContractProblem]:
    """Problems resolving ``contract``'s handler keys in ``registry``, in file order.

    Errors (decided by :func:`find_routing_problems`, the check routing initialisation runs):
    a ``handler_key`` or ``default_handler`` no handler has as ``handler_id``; an entry whose
    ``message_category`` differs from its handler's category. Warnings: a handler whose
    ``node_kind`` differs from the contract's ``node_type``; under ``payload_type_match``, a
    handler that lists ``message_types`` without the entry's routing key. Positions come from
    ``document`` when given (else ``1:1``).
    """
    routing = contract.handler_routing
    if routing is None:
        return []
    errors = {problem.index: problem.kind for problem in find_routing_problems(routing, registry)}
    known = sorted(handler.handler_id for handler in registry.get_handlers())
    problems: list[ModelContractProblem] = []

    def report(path: YamlPath, message: str, *, warning: bool = False) -> None:
        problems.append(
            problem_at(document, source, path, message, "warning" if warning else "error")
        )

    def unknown(key: str) -> str:
        shown = ", ".join(known[:_SHOWN_IDS]) or "none"
        if len(known) > _SHOWN_IDS:
            shown += f", ... {len(known) - _SHOWN_IDS} more"
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.8)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return f"unknown handler {key!r} (registered: {shown}){hint}"

    for index, entry in enumerate(routing.handlers):
        entry_path = (_SECTION, "handlers", index)
        handler = registry.get_handler_by_id(entry.handler_key)
        if handler is None or errors.get(index) == "unknown_handler":
            report((*entry_path, "handler_key"), unknown(entry.handler_key))
            continue
        if errors.get(index) == "category_mismatch":
            report(
                (*entry_path, "message_category"),
                f"handler {entry.handler_key!r} serves {str(handler.category)!r} messages but "
                f"the entry declares message_category {str(entry.message_category)!r}; fix "
                "message_category or route to a handler of that category",
            )
        if handler.node_kind != contract.node_type:
            report(
                (*entry_path, "handler_key"),
                f"handler {entry.handler_key!r} is written for {str(handler.node_kind)!r} nodes "
                f"but this contract's node_type is {str(contract.node_type)!r}",
                warning=True,
            )
        if (
            routing.routing_strategy is EnumHandlerRoutingStrategy.PAYLOAD_TYPE_MATCH
            and handler.message_types
            and entry.routing_key not in handler.message_types
        ):
            report(
                (*entry_path, "routing_key"),
                f"handler {entry.handler_key!r} does not list {entry.routing_key!r} in its "
                f"message_types ({', '.join(sorted(handler.message_types))})",
                warning=True,
            )
    if routing.default_handler is not None and None in errors:
        report((_SECTION, "default_handler"), unknown(routing.default_handler))
    return sorted(problems, key=ModelContractProblem.sort_key)
