"""The ``onex`` command line: ``onex contract validate PATH... [--registry MODULE:FACTORY]``.

Exit status: 0 when every contract is valid, 1 when any is invalid (or unreadable), 2 on a
usage error (bad arguments, a ``--registry`` spec that cannot be imported or called).
Problems are printed as ``path:line:column: field: message``; warnings carry a ``warning:``
prefix and never change the exit status.
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Final, TextIO

from omnibase_core.contracts.contract_errors import problems_from_error
from omnibase_core.contracts.contract_loader import load_contract_located
from omnibase_core.contracts.contract_registry_check import check_contract_handlers
from omnibase_core.contracts.routing_lint import lint_handler_routing
from omnibase_core.enums.enum_core_error_code import EnumCoreErrorCode
from omnibase_core.models.contracts.model_contract_problem import ModelContractProblem
from omnibase_core.models.errors.model_onex_error import ModelOnexError
from omnibase_core.protocols.protocol_handler_registry import ProtocolHandlerRegistry

EXIT_OK: Final = 0
EXIT_INVALID: Final = 1
EXIT_USAGE: Final = 2

_REGISTRY_SPEC: Final = re.compile(r"^(?P<module>[\w.]+):(?P<factory>[\w.]+)$")
_CONTRACT_SUFFIXES: Final = (".yaml", ".yml")


class _UsageError(Exception):
    """A usage problem: printed on stderr, exit status 2."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``onex`` with ``argv`` (default ``sys.argv[1:]``) and return the exit status."""
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help exits 0, usage errors exit 2
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    if getattr(args, "handler", None) is None:
        parser.print_usage(sys.stderr)
        print("onex: error: choose a command, e.g. 'onex contract validate PATH'", file=sys.stderr)
        return EXIT_USAGE
    try:
        status: int = args.handler(args, sys.stdout)
    except _UsageError as exc:
        print(f"onex contract validate: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return status


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="onex", description="ONEX node tooling.")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    contract = commands.add_parser("contract", help="work with node contracts")
    contract_commands = contract.add_subparsers(title="contract commands", metavar="COMMAND")
    validate = contract_commands.add_parser(
        "validate",
        help="check contract files",
        description="Check node contracts: YAML, schema, routing lint and, with --registry, "
        "that every handler key resolves. Exit 0 when all are valid, 1 when any is invalid, "
        "2 on usage errors.",
    )
    validate.add_argument(
        "paths", nargs="+", metavar="PATH", help="contract file, or folder searched for *.yaml"
    )
    validate.add_argument(
        "--registry",
        metavar="MODULE:FACTORY",
        help="zero-argument factory returning a handler registry to resolve handler keys "
        "against (MODULE is imported with the current folder on the path)",
    )
    validate.add_argument(
        "--quiet", "-q", action="store_true", help="print only problems, no 'ok' lines or summary"
    )
    validate.set_defaults(handler=_validate)
    return parser


def _validate(args: argparse.Namespace, out: TextIO) -> int:
    registry = _load_registry(args.registry) if args.registry else None
    checked = invalid = warnings = 0
    for path in _expand(args.paths):
        checked += 1
        problems = _check_one(path, registry)
        errors = [problem for problem in problems if problem.severity == "error"]
        warnings += len(problems) - len(errors)
        for problem in problems:
            prefix = "warning: " if problem.severity == "warning" else ""
            print(prefix + problem.format(), file=out)
        if errors:
            invalid += 1
        elif not args.quiet:
            print(f"{path}: ok", file=out)
    if not args.quiet:
        print(
            f"checked {checked} contract{'s' if checked != 1 else ''}: "
            f"{checked - invalid} valid, {invalid} invalid, {warnings} "
            f"warning{'s' if warnings != 1 else ''}",
            file=out,
        )
    return EXIT_INVALID if invalid else EXIT_OK


def _expand(paths: Sequence[str]) -> Iterator[str]:
    """Each path as given; a folder becomes its ``*.yaml``/``*.yml`` files, sorted."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(
                str(child)
                for child in path.rglob("*")
                if child.suffix in _CONTRACT_SUFFIXES and child.is_file()
            )
            yield from found or [raw]
        else:
            yield raw


def _check_one(path: str, registry: ProtocolHandlerRegistry | None) -> list[ModelContractProblem]:
    try:
        contract, document = load_contract_located(path)
    except ModelOnexError as exc:
        located = problems_from_error(exc)
        if located:
            return located
        reason = exc.message
        if exc.error_code is EnumCoreErrorCode.FILE_NOT_FOUND and Path(path).is_dir():
            reason = "folder holds no *.yaml or *.yml contract files"
        return [ModelContractProblem(path=path, line=1, column=1, message=reason)]
    except Exception as exc:  # a bad file must never end in a traceback
        return [
            ModelContractProblem(
                path=path,
                line=1,
                column=1,
                message=f"unexpected {type(exc).__name__} while loading: {exc}",
            )
        ]
    problems = lint_handler_routing(contract.handler_routing, document)
    if registry is not None:
        problems += check_contract_handlers(contract, registry, document)
    return sorted(problems, key=ModelContractProblem.sort_key)


def _load_registry(spec: str) -> ProtocolHandlerRegistry:
    """Import ``MODULE:FACTORY``, call the factory and return its frozen registry.

    Raises :class:`_UsageError` (exit 2) naming the spec and the cause when any step fails.
    """
    match = _REGISTRY_SPEC.match(spec)
    if match is None:
        raise _UsageError(
            f"--registry expects MODULE:FACTORY (e.g. examples.example_registry:create_registry), "
            f"got {spec!r}"
        )
    module_name, factory_name = match.group("module"), match.group("factory")
    cwd = os.getcwd()
    added = cwd not in sys.path
    if added:
        sys.path.insert(0, cwd)
    try:
        target: Any = importlib.import_module(module_name)
    except Exception as exc:
        raise _UsageError(
            f"--registry {spec}: cannot import module {module_name!r} "
            f"({type(exc).__name__}: {exc}); check the module name and run from the folder "
            "that holds it"
        ) from None
    finally:
        if added:
            sys.path.remove(cwd)
    for part in factory_name.split("."):
        if not hasattr(target, part):
            raise _UsageError(f"--registry {spec}: {module_name!r} has no attribute {part!r}")
        target = getattr(target, part)
    if not callable(target):
        raise _UsageError(f"--registry {spec}: {factory_name!r} is not callable")
    try:
        registry = target()
    except Exception as exc:
        raise _UsageError(
            f"--registry {spec}: the factory raised {type(exc).__name__}: {exc}"
        ) from None
    if not isinstance(registry, ProtocolHandlerRegistry):
        raise _UsageError(
            f"--registry {spec}: the factory returned {type(registry).__name__}, not a handler "
            "registry (needs is_frozen, handler_count, get_handler_by_id, get_handlers)"
        )
    if not registry.is_frozen:
        freeze = getattr(registry, "freeze", None)
        if not callable(freeze):
            raise _UsageError(
                f"--registry {spec}: the registry is not frozen and has no freeze(); "
                "freeze it in the factory"
            )
        try:
            freeze()
        except Exception as exc:
            raise _UsageError(
                f"--registry {spec}: freeze() raised {type(exc).__name__}: {exc}"
            ) from None
    return registry
