"""The ``onex`` command line: ``onex contract validate PATH... [options]``.

Exit status: 0 when every contract is valid, 1 when any is invalid (or unreadable), 2 on a
usage error (bad arguments, a ``--registry`` spec that cannot be imported or called, or a
registry that misbehaves), 130 when interrupted (Ctrl-C). Problems are printed as
``path:line:column: field: message; hint``; warnings carry a ``warning:`` prefix and never
change the exit status. ``--json`` prints one JSON document instead.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, TextIO

from omnibase_core.cli.model_contract_shape import ModelContractShape
from omnibase_core.contracts.contract_errors import problems_from_error
from omnibase_core.contracts.contract_handler_registry import check_handler_classes
from omnibase_core.contracts.contract_loader import load_contract_located
from omnibase_core.contracts.contract_registry_check import check_contract_handlers
from omnibase_core.contracts.routing_lint import lint_handler_routing
from omnibase_core.models.container.model_onex_container import ModelONEXContainer
from omnibase_core.models.contracts.model_contract import ModelContract
from omnibase_core.models.contracts.model_contract_problem import ModelContractProblem
from omnibase_core.models.errors.model_onex_error import ModelOnexError
from omnibase_core.protocols.protocol_handler_registry import ProtocolHandlerRegistry

EXIT_OK: Final = 0
EXIT_INVALID: Final = 1
EXIT_USAGE: Final = 2
EXIT_INTERRUPTED: Final = 130

_REGISTRY_SPEC: Final = re.compile(r"^(?P<module>[\w.]+):(?P<factory>[\w.]+)$")
_CONTRACT_SUFFIXES: Final = (".yaml", ".yml")
_HANDLER_ATTRIBUTES: Final = ("handler_id", "category", "message_types", "node_kind", "handle")


class _UsageError(Exception):
    """A usage problem: printed on stderr as one line, exit status 2."""


@dataclass(slots=True)
class _Result:
    """What ``onex contract validate`` found in one contract."""

    path: str
    shape: ModelContractShape
    problems: list[ModelContractProblem] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not any(problem.severity == "error" for problem in self.problems)

    @property
    def warnings(self) -> int:
        return sum(problem.severity == "warning" for problem in self.problems)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``onex`` with ``argv`` (default ``sys.argv[1:]``) and return the exit status.

    Never raises: usage errors, a misbehaving ``--registry`` and Ctrl-C each end in one line
    on standard error and their exit status.
    """
    try:
        return _main(argv)
    except KeyboardInterrupt:
        print("onex: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _main(argv: Sequence[str] | None) -> int:
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
        description="Check node contracts: YAML, schema (canonical or live routing shape), "
        "routing lint and, with --registry or --import-handlers, that every handler resolves. "
        "Prints the routing shape read from each contract. Exit 0 when all are valid, 1 when "
        "any is invalid, 2 on usage errors, 130 when interrupted.",
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
        "--import-handlers",
        action="store_true",
        help="import every handler class the contracts reference (handler: {name, module}) "
        "and check it is a message handler, as a node building its registry from the "
        "contract would (the current folder is on the path); nothing else is run",
    )
    validate.add_argument(
        "--json",
        action="store_true",
        help="print one JSON document: each contract's shape and problems (path, line, "
        "column, field, message, hint, severity)",
    )
    validate.add_argument(
        "--quiet", "-q", action="store_true", help="print only problems, no 'ok' lines or summary"
    )
    validate.set_defaults(handler=_validate)
    return parser


def _validate(args: argparse.Namespace, out: TextIO) -> int:
    with _current_folder_on_path():
        registry = _load_registry(args.registry) if args.registry else None
        results = [
            _check_one(path, registry, args.registry, import_handlers=args.import_handlers)
            for path in _expand(args.paths)
        ]
    if args.json:
        _print_json(results, out)
    else:
        _print_text(results, out, quiet=args.quiet)
    return EXIT_OK if all(result.valid for result in results) else EXIT_INVALID


def _print_text(results: list[_Result], out: TextIO, *, quiet: bool) -> None:
    for result in results:
        for problem in result.problems:
            prefix = "warning: " if problem.severity == "warning" else ""
            print(prefix + problem.format(), file=out)
        if not quiet:
            status = "ok" if result.valid else "invalid"
            print(f"{result.path}: {status} ({result.shape.describe()})", file=out)
    if not quiet:
        checked = len(results)
        invalid = sum(not result.valid for result in results)
        warnings = sum(result.warnings for result in results)
        print(
            f"checked {checked} contract{'s' if checked != 1 else ''}: "
            f"{checked - invalid} valid, {invalid} invalid, {warnings} "
            f"warning{'s' if warnings != 1 else ''}",
            file=out,
        )


def _print_json(results: list[_Result], out: TextIO) -> None:
    document = {
        "contracts": [
            {
                "path": result.path,
                "valid": result.valid,
                **result.shape.as_dict(),
                "problems": [problem.as_context() for problem in result.problems],
            }
            for result in results
        ],
        "checked": len(results),
        "valid": sum(result.valid for result in results),
        "invalid": sum(not result.valid for result in results),
        "warnings": sum(result.warnings for result in results),
    }
    json.dump(document, out, indent=2, ensure_ascii=False)
    out.write("\n")


def _expand(paths: Sequence[str]) -> Iterator[str]:
    """Each path as given; a folder becomes the ``*.yaml``/``*.yml`` entries below it, sorted
    (anything not a folder is kept, so a FIFO named ``x.yaml`` is reported, not skipped)."""
    for raw in paths:
        try:
            is_folder = os.path.isdir(raw)
        except (OSError, ValueError):
            is_folder = False
        if not is_folder:
            yield raw
            continue
        found: list[str] = []
        for folder, folders, files in os.walk(raw):
            folders.sort()
            found.extend(
                os.path.join(folder, name) for name in files if name.endswith(_CONTRACT_SUFFIXES)
            )
        yield from sorted(found) or [raw]


def _check_one(
    path: str,
    registry: ProtocolHandlerRegistry | None,
    registry_spec: str | None,
    *,
    import_handlers: bool,
) -> _Result:
    try:
        contract, document = load_contract_located(path)
    except ModelOnexError as exc:
        problems = problems_from_error(exc) or [
            ModelContractProblem(path=path, line=1, column=1, message=exc.message)
        ]
        if _is_folder(path):
            problems = [
                ModelContractProblem(
                    path=path,
                    line=1,
                    column=1,
                    message="the folder holds no *.yaml or *.yml contract file",
                    hint="name contract files or a folder that holds some",
                )
            ]
        return _Result(path, ModelContractShape.of_file(path), problems)
    except Exception as exc:  # a bad file must never end in a traceback
        problem = ModelContractProblem(
            path=path,
            line=1,
            column=1,
            message=f"unexpected {type(exc).__name__} while loading: {exc}",
        )
        return _Result(path, ModelContractShape.unknown(), [problem])
    problems = lint_handler_routing(contract.handler_routing, document)
    if import_handlers:
        built, found = check_handler_classes(contract, ModelONEXContainer(), document)
        problems += found
        if registry is None and built is not None:
            problems += check_contract_handlers(contract, built, document)
    if registry is not None:
        problems += _resolve(contract, document, registry, registry_spec or "")
    shape = ModelContractShape.of_data(document.data, contract.handler_routing)
    return _Result(path, shape, sorted(problems, key=ModelContractProblem.sort_key))


def _resolve(
    contract: ModelContract,
    document: Any,
    registry: ProtocolHandlerRegistry,
    spec: str,
) -> list[ModelContractProblem]:
    """Resolve against a user-supplied registry; one that raises is a usage error."""
    try:
        return check_contract_handlers(contract, registry, document)
    except Exception as exc:
        raise _UsageError(
            f"--registry {spec}: the registry raised {type(exc).__name__} while resolving "
            f"{document.source}: {exc}; fix the registry or its handlers"
        ) from None


def _is_folder(path: str) -> bool:
    try:
        return os.path.isdir(path)
    except (OSError, ValueError):
        return False


@contextlib.contextmanager
def _current_folder_on_path() -> Iterator[None]:
    """Let ``--registry`` and ``--import-handlers`` import modules from the current folder."""
    cwd = os.getcwd()
    added = cwd not in sys.path
    if added:
        sys.path.insert(0, cwd)
    try:
        yield
    finally:
        if added and cwd in sys.path:
            sys.path.remove(cwd)


def _load_registry(spec: str) -> ProtocolHandlerRegistry:
    """Import ``MODULE:FACTORY``, call the factory and return its frozen, checked registry.

    Raises :class:`_UsageError` (exit 2) naming the spec and the cause when any step fails:
    the module does not import or calls ``sys.exit``, the factory is missing, not callable,
    raises or calls ``sys.exit``, or returns something that is not a working registry.
    """
    match = _REGISTRY_SPEC.match(spec)
    if match is None:
        raise _UsageError(
            f"--registry expects MODULE:FACTORY (e.g. examples.example_registry:create_registry), "
            f"got {spec!r}"
        )
    module_name, factory_name = match.group("module"), match.group("factory")
    try:
        target: Any = importlib.import_module(module_name)
    except (Exception, SystemExit) as exc:
        raise _UsageError(
            f"--registry {spec}: cannot import module {module_name!r} ({_why(exc)}); check the "
            "module name and run from the folder that holds it"
        ) from None
    for part in factory_name.split("."):
        if not hasattr(target, part):
            raise _UsageError(f"--registry {spec}: {module_name!r} has no attribute {part!r}")
        target = getattr(target, part)
    if not callable(target):
        raise _UsageError(f"--registry {spec}: {factory_name!r} is not callable")
    try:
        registry = target()
    except (Exception, SystemExit) as exc:
        raise _UsageError(f"--registry {spec}: the factory {_why(exc)}") from None
    _check_registry(registry, spec)
    return registry  # type: ignore[no-any-return]


def _why(exc: BaseException) -> str:
    if isinstance(exc, SystemExit):
        return f"called sys.exit({exc.code!r})"
    return f"raised {type(exc).__name__}: {exc}"


def _check_registry(registry: Any, spec: str) -> None:
    """Check once, up front, that ``registry`` answers like a frozen handler registry whose
    handlers carry the attributes a handler needs; raises :class:`_UsageError` otherwise."""
    try:
        looks_right = isinstance(registry, ProtocolHandlerRegistry)
    except Exception:
        looks_right = False
    if not looks_right:
        raise _UsageError(
            f"--registry {spec}: the factory returned {type(registry).__name__}, not a handler "
            "registry (needs is_frozen, handler_count, get_handler_by_id, get_handlers)"
        )
    step = "is_frozen"
    try:
        if not registry.is_frozen:
            step = "freeze()"
            freeze = getattr(registry, "freeze", None)
            if not callable(freeze):
                raise _UsageError(
                    f"--registry {spec}: the registry is not frozen and has no freeze(); "
                    "freeze it in the factory"
                )
            freeze()
        step = "get_handlers()"
        handlers = list(registry.get_handlers())
        for position, handler in enumerate(handlers):
            step = f"handler #{position} ({type(handler).__name__}) attributes"
            missing = [name for name in _HANDLER_ATTRIBUTES if not hasattr(handler, name)]
            if missing:
                raise _UsageError(
                    f"--registry {spec}: handler #{position} ({type(handler).__name__}) lacks "
                    f"{', '.join(missing)}; a handler needs {', '.join(_HANDLER_ATTRIBUTES)}"
                )
            handler_id = handler.handler_id
            if not isinstance(handler_id, str):
                raise _UsageError(
                    f"--registry {spec}: handler #{position} ({type(handler).__name__}) has "
                    f"handler_id {handler_id!r}, not a string"
                )
            _ = (handler.category, handler.node_kind, frozenset(handler.message_types))
            step = f"get_handler_by_id({handler_id!r})"
            registry.get_handler_by_id(handler_id)
        step = "handler_count"
        _ = registry.handler_count
    except _UsageError:
        raise
    except (Exception, SystemExit) as exc:
        raise _UsageError(f"--registry {spec}: the registry's {step} {_why(exc)}") from None
