"""Building a node's handler registry from the class references in its contract.

A live-shape routing entry names its handler class (``handler: {name, module}``). From those
references :func:`build_handler_registry` imports each class once, constructs it once from
the node's container, registers the instances and freezes the registry, so a node declared
only by its contract routes with no registration code. Every failure is reported at the
contract line that names the class.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any, Final, Literal

from omnibase_core.contracts._contract_documents import document_of
from omnibase_core.contracts._located_problem import problem_at
from omnibase_core.contracts.contract_errors import build_contract_error
from omnibase_core.contracts.contract_registry_check import check_contract_handlers
from omnibase_core.contracts.model_yaml_document import ModelYamlDocument, YamlPath
from omnibase_core.models.contracts.model_contract_problem import ModelContractProblem
from omnibase_core.models.errors.model_onex_error import ModelOnexError
from omnibase_core.services.service_handler_registry import ServiceHandlerRegistry

if TYPE_CHECKING:
    from omnibase_core.models.container.model_onex_container import ModelONEXContainer
    from omnibase_core.models.contracts.model_contract import ModelContract
    from omnibase_core.models.contracts.subcontracts import ModelClassReference

_SECTION: Final = "handler_routing"
_CALLER: Final = "build_handler_registry"

Severity = Literal["error", "warning"]


@dataclass(slots=True)
class _Build:
    """One pass over a contract's class references (single use)."""

    contract: Any
    document: ModelYamlDocument | None
    source: str
    problems: list[ModelContractProblem] = field(default_factory=list)
    modules: dict[str, ModuleType | None] = field(default_factory=dict)
    classes: dict[tuple[str, str], type[Any]] = field(default_factory=dict)
    failed: set[tuple[str, str]] = field(default_factory=set)
    instances: dict[tuple[str, str], Any] = field(default_factory=dict)

    def report(self, path: YamlPath, message: str, hint: str, severity: Severity = "error") -> None:
        self.problems.append(problem_at(self.document, self.source, path, message, severity, hint))

    # -- step 1: import each class once -----------------------------------------------------

    def import_classes(self) -> None:
        routing = self.contract.handler_routing
        for index, entry in enumerate(routing.handlers if routing is not None else ()):
            reference = entry.handler
            entry_path = (_SECTION, "handlers", index)
            if reference is None:
                continue
            key = (reference.module, reference.name)
            if key in self.classes or key in self.failed:
                continue
            cls = self._import_class(reference, (*entry_path, "handler"))
            if cls is None:
                self.failed.add(key)
            else:
                self.classes[key] = cls

    def _import_class(self, reference: ModelClassReference, path: YamlPath) -> type[Any] | None:
        module = self._module(reference, (*path, "module"))  # reported once per module
        if module is None:
            return None
        found = getattr(module, reference.name, None)
        if found is None:
            names = [name for name, value in vars(module).items() if inspect.isclass(value)]
            close = difflib.get_close_matches(reference.name, names, n=1, cutoff=0.6)
            self.report(
                (*path, "name"),
                f"module {reference.module!r} has no class {reference.name!r}",
                f"did you mean {close[0]!r}?" if close else "check handler.name",
            )
            return None
        if not inspect.isclass(found):
            self.report(
                (*path, "name"),
                f"{reference.qualified_name} is a {type(found).__name__}, not a class",
                "name the handler class (its instances are registered)",
            )
            return None
        handle = getattr(found, "handle", None)
        if not callable(handle):
            self.report(
                (*path, "name"),
                f"{reference.qualified_name} is not a message handler: it has no handle() method",
                "define 'async def handle(self, envelope) -> ModelHandlerOutput' or name the "
                "right class",
            )
            return None
        if not inspect.iscoroutinefunction(handle):
            self.report(
                (*path, "name"),
                f"{reference.qualified_name} is not a message handler: handle() is not async",
                "define it as 'async def handle(self, envelope)'",
            )
            return None
        return found

    def _module(self, reference: ModelClassReference, path: YamlPath) -> ModuleType | None:
        name = reference.module
        if name in self.modules:
            return self.modules[name]
        module: ModuleType | None = None
        try:
            module = importlib.import_module(name)
        except (Exception, SystemExit) as exc:
            if isinstance(exc, SystemExit):
                why = f"importing it called sys.exit({exc.code!r})"
            else:
                why = f"{type(exc).__name__}: {exc}"
            self.report(
                path,
                f"cannot import module {name!r} ({why})",
                "check handler.module and that its package is installed or on sys.path",
            )
        self.modules[name] = module
        return module

    # -- step 2: construct each class once --------------------------------------------------

    def construct(self, container: Any, failure: Severity) -> None:
        for index, entry in enumerate(self.contract.handler_routing.handlers):
            reference = entry.handler
            key = None if reference is None else (reference.module, reference.name)
            if key is None or key not in self.classes or key in self.instances:
                continue
            if key in self.failed:
                continue
            path = (_SECTION, "handlers", index, "handler", "name")
            instance = self._construct(self.classes[key], reference, container, path, failure)
            if instance is None:
                self.failed.add(key)
            else:
                self.instances[key] = instance

    def _construct(
        self,
        cls: type[Any],
        reference: Any,
        container: Any,
        path: YamlPath,
        failure: Severity,
    ) -> Any:
        args: tuple[Any, ...] = (container,)
        try:
            signature = inspect.signature(cls)
        except (TypeError, ValueError):
            signature = None
        if signature is not None:
            try:
                signature.bind(container)
            except TypeError:
                try:
                    signature.bind()
                    args = ()
                except TypeError:
                    self.report(
                        path,
                        f"cannot construct {reference.qualified_name}: its constructor "
                        f"{signature} needs arguments other than the node's container",
                        "give the other parameters defaults, or take only the container",
                        failure,
                    )
                    return None
        try:
            return cls(*args)
        except (Exception, SystemExit) as exc:
            shown = "container" if args else ""
            self.report(
                path,
                f"constructing {reference.name}({shown}) raised {type(exc).__name__}: {exc}",
                "make the constructor work with the node's container",
                failure,
            )
            return None

    # -- step 3: register -------------------------------------------------------------------

    def register(self) -> ServiceHandlerRegistry:
        registry = ServiceHandlerRegistry()
        registered: set[tuple[str, str]] = set()
        for index, entry in enumerate(self.contract.handler_routing.handlers):
            reference = entry.handler
            key = None if reference is None else (reference.module, reference.name)
            if key is None or key not in self.instances or key in registered:
                continue
            registered.add(key)
            path = (_SECTION, "handlers", index, "handler", "name")
            try:
                registry.register_handler(self.instances[key])
            except ModelOnexError as exc:
                reason = exc.message.removeprefix("register_handler: ")
                self.report(
                    path,
                    f"{reference.qualified_name} is not a usable message handler: {reason}",
                    "give the class handler_id, category, message_types, node_kind and an "
                    "async handle()",
                )
            except Exception as exc:
                self.report(
                    path,
                    f"{reference.qualified_name} is not a usable message handler: reading its "
                    f"attributes raised {type(exc).__name__}: {exc}",
                    "give the class plain handler_id, category, message_types and node_kind "
                    "attributes",
                )
        registry.freeze()
        return registry


def build_handler_registry(
    contract: ModelContract,
    container: ModelONEXContainer,
    *,
    document: ModelYamlDocument | None = None,
) -> ServiceHandlerRegistry:
    """A frozen registry holding one instance of each handler class ``contract`` names.

    For every live-shape entry (``handler: {name, module}``), the module is imported and the
    class looked up once, however many entries name it; the class is constructed once, as
    ``Class(container)`` when its constructor accepts an argument and ``Class()`` otherwise,
    registered with :class:`ServiceHandlerRegistry` (which validates it) and the registry is
    frozen. The handler keys are then resolved exactly as routing initialisation resolves
    them. Positions come from ``document``, else from the document ``load_contract`` read the
    contract from.

    Raises one ``ModelOnexError(CONTRACT_VALIDATION_ERROR)`` listing, each at the contract
    line naming it: a module that does not import (or calls ``sys.exit``), a missing class,
    a name that is not a class, a class that is not a message handler (no async ``handle()``,
    attributes missing or invalid, an illegal category/node kind shape), a constructor that
    fails, a canonical entry (a ``handler_key`` cannot be built from a class), and every
    routing problem (unknown default, category mismatch).
    """
    document = document or document_of(contract)
    source = document.source if document is not None else "<contract>"
    build = _Build(contract, document, source)
    routing = contract.handler_routing
    for index, entry in enumerate(routing.handlers if routing is not None else ()):
        if entry.handler is None:
            build.report(
                (_SECTION, "handlers", index, "handler_key"),
                f"handler_key {entry.handler_key!r} names a handler id; a registry built from "
                "class references cannot provide it",
                "write handler: {name, module} for this entry, or build the registry yourself",
            )
    if routing is None:
        registry = ServiceHandlerRegistry()
        registry.freeze()
        return registry
    build.import_classes()
    build.construct(container, "error")
    registry = build.register()
    if not build.problems:
        build.problems += [
            problem
            for problem in check_contract_handlers(contract, registry, document, source=source)
            if problem.severity == "error"
        ]
    if build.problems:
        raise build_contract_error(_CALLER, source, build.problems)
    return registry


def check_handler_classes(
    contract: ModelContract,
    container: ModelONEXContainer,
    document: ModelYamlDocument | None = None,
    *,
    source: str = "<contract>",
) -> tuple[ServiceHandlerRegistry | None, list[ModelContractProblem]]:
    """The import check of ``onex contract validate --import-handlers``, without raising.

    Imports and checks every class ``contract`` references, as :func:`build_handler_registry`
    does (those failures are errors), then tries to construct each with ``container``:
    a constructor failing there is only a warning, since the node's real container may hold
    services this one lacks. Constructed handlers are registered (a class whose instances are
    not message handlers is an error). Returns the frozen registry when every entry names its
    class and every class was constructed and registered (else ``None``: canonical entries
    need a registry from elsewhere), and the problems in file order.
    """
    if document is not None:
        source = document.source
    build = _Build(contract, document, source)
    routing = contract.handler_routing
    if routing is None:
        return None, []
    build.import_classes()
    build.construct(container, "warning")
    before = len(build.problems)
    registry = build.register()
    complete = (
        not build.failed
        and len(build.problems) == before
        and all(entry.handler is not None for entry in routing.handlers)
    )
    return (registry if complete else None), sorted(
        build.problems, key=ModelContractProblem.sort_key
    )
