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
from omnibase_core.routing.model_handler_resolver import ModelHandlerResolver

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
    a handler key or ``default_handler`` that resolves to no registered handler, or to several
    (a live entry whose class has several registered instances); an entry whose
    ``message_category`` differs from its handler's category. Warnings: a handler whose
    ``node_kind`` differs from the contract's ``node_type``; under ``payload_type_match``, a
    handler that lists ``message_types`` without the entry's routing key. Positions come from
    ``document`` when given (else ``1:1``); a live entry's findings point at its ``handler``
    and routing-key fields.
    """
    routing = contract.handler_routing
    if routing is None:
        return []
    errors = {problem.index: problem for problem in find_routing_problems(routing, registry)}
    known = sorted(handler.handler_id for handler in registry.get_handlers())
    resolver = ModelHandlerResolver(registry)
    problems: list[ModelContractProblem] = []

    def report(path: YamlPath, message: str, hint: str = "", *, warning: bool = False) -> None:
        problems.append(
            problem_at(document, source, path, message, "warning" if warning else "error", hint)
        )

    def unknown(key: str) -> tuple[str, str]:
        shown = ", ".join(known[:_SHOWN_IDS]) or "none"
        if len(known) > _SHOWN_IDS:
            shown += f", ... {len(known) - _SHOWN_IDS} more"
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.8)
        hint = f"did you mean {close[0]!r}?" if close else "register it or fix the key"
        return f"unknown handler {key!r} (registered: {shown})", hint

    for index, entry in enumerate(routing.handlers):
        entry_path = (_SECTION, "handlers", index)
        handler_path = (*entry_path, *entry.handler_key_field)
        error = errors.get(index)
        handler, _ = resolver.resolve(entry)
        if error is not None and error.kind == "ambiguous_handler":
            report(handler_path, error.detail.partition("; ")[0], error.detail.partition("; ")[2])
            continue
        if handler is None or (error is not None and error.kind == "unknown_handler"):
            if entry.handler is None:
                report(handler_path, *unknown(entry.handler_key))
            else:
                report(
                    handler_path,
                    f"no registered handler is an instance of {entry.handler.qualified_name} "
                    f"or has handler_id {entry.handler.name!r} (registered: "
                    f"{', '.join(known[:_SHOWN_IDS]) or 'none'})",
                    "register the class, or build the registry from the contract "
                    "(build_handler_registry / --import-handlers)",
                )
            continue
        if error is not None and error.kind == "category_mismatch":
            report(
                (*entry_path, "message_category"),
                f"handler {handler.handler_id!r} serves {str(handler.category)!r} messages but "
                f"the entry declares message_category {str(entry.message_category)!r}",
                "fix message_category or route to a handler of that category",
            )
        if handler.node_kind != contract.node_type:
            report(
                handler_path,
                f"handler {handler.handler_id!r} is written for {str(handler.node_kind)!r} nodes "
                f"but this contract's node_type is {str(contract.node_type)!r}",
                warning=True,
            )
        if (
            routing.routing_strategy is EnumHandlerRoutingStrategy.PAYLOAD_TYPE_MATCH
            and handler.message_types
            and entry.routing_key not in handler.message_types
        ):
            report(
                (*entry_path, *entry.routing_key_field),
                f"handler {handler.handler_id!r} does not list {entry.routing_key!r} in its "
                f"message_types ({', '.join(sorted(handler.message_types))})",
                warning=True,
            )
    if routing.default_handler is not None and None in errors:
        report((_SECTION, "default_handler"), *unknown(routing.default_handler))
    return sorted(problems, key=ModelContractProblem.sort_key)
