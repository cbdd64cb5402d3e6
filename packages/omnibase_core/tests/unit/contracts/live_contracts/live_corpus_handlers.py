"""Handler classes the live-shape corpus names by class reference (imported by module name
``live_corpus_handlers`` with this folder on ``sys.path``), plus classes that are not usable
handlers, for the bad variants."""

from __future__ import annotations

from typing import Any, ClassVar

from omnibase_core.enums import EnumMessageCategory, EnumNodeKind
from omnibase_core.models.dispatch import ModelHandlerOutput
from omnibase_core.models.events import ModelEventEnvelope

EVENT, COMMAND, INTENT = (
    EnumMessageCategory.EVENT,
    EnumMessageCategory.COMMAND,
    EnumMessageCategory.INTENT,
)
ORCHESTRATOR, EFFECT, REDUCER = EnumNodeKind.ORCHESTRATOR, EnumNodeKind.EFFECT, EnumNodeKind.REDUCER


class _CorpusHandler:
    """Records its construction and what it handled; ids default to the class name."""

    constructed: ClassVar[list[tuple[str, Any]]] = []
    category = EVENT
    node_kind = ORCHESTRATOR
    message_types: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, container: Any) -> None:
        self.container = container
        _CorpusHandler.constructed.append((type(self).__name__, container))

    @property
    def handler_id(self) -> str:
        return type(self).__name__

    async def handle(self, envelope: ModelEventEnvelope[Any]) -> ModelHandlerOutput:
        return ModelHandlerOutput(
            handler_id=self.handler_id, input_envelope_id=envelope.envelope_id
        )


class HandlerNodeIntrospected(_CorpusHandler):
    message_types = frozenset({"ModelNodeIntrospectionEvent"})


class HandlerRuntimeTick(_CorpusHandler):
    category = INTENT


class HandlerNodeRegistrationAcked(_CorpusHandler):
    category = COMMAND


class HandlerNodeHeartbeat(_CorpusHandler):
    pass


class HandlerConsulRegister(_CorpusHandler):
    category, node_kind = COMMAND, EFFECT


class HandlerPostgresUpsert(_CorpusHandler):
    category, node_kind = COMMAND, EFFECT


class HandlerConsulDeregister(_CorpusHandler):
    category, node_kind = COMMAND, EFFECT


class HandlerPostgresDeactivate(_CorpusHandler):
    category, node_kind = COMMAND, EFFECT


class HandlerPartialRetry(_CorpusHandler):
    category, node_kind = INTENT, EFFECT


class HandlerLedgerProjection(_CorpusHandler):
    node_kind = REDUCER


class HandlerLedgerAudit(_CorpusHandler):
    node_kind = REDUCER


class HandlerNoArguments:
    """Constructed without arguments: its constructor takes none."""

    handler_id = "handler-no-arguments"
    category = EVENT
    node_kind = ORCHESTRATOR
    message_types: ClassVar[frozenset[str]] = frozenset()

    async def handle(self, envelope: ModelEventEnvelope[Any]) -> ModelHandlerOutput:
        return ModelHandlerOutput(
            handler_id=self.handler_id, input_envelope_id=envelope.envelope_id
        )


# -- not usable as handlers ----------------------------------------------------------------


def handle_something(envelope: Any) -> None:
    """A function, not a class."""


class NoHandleMethod:
    handler_id = "no-handle"


class SyncHandle(_CorpusHandler):
    def handle(self, envelope: Any) -> Any:
        return None


class CategoryIsAString(_CorpusHandler):
    category = "event"  # type: ignore[assignment]


class ConstructorFails(_CorpusHandler):
    def __init__(self, container: Any) -> None:
        raise RuntimeError("needs a database")


class NeedsMoreArguments(_CorpusHandler):
    def __init__(self, container: Any, dsn: str) -> None:
        super().__init__(container)
