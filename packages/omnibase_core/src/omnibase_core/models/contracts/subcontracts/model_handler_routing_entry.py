"""One line of a contract's ``handler_routing.handlers`` list, in either shape."""

from __future__ import annotations

from typing import Any, Final, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SerializerFunctionWrapHandler,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_serializer,
    model_validator,
)

from omnibase_core.enums.enum_handler_routing_strategy import EnumHandlerRoutingStrategy
from omnibase_core.enums.enum_message_category import EnumMessageCategory
from omnibase_core.models.contracts.contract_field_error import field_error, missing_field_error
from omnibase_core.models.contracts.subcontracts.model_class_reference import (
    ModelClassReference,
)
from omnibase_core.models.primitives.contract_key import ContractKey

PRIORITY_MIN = -1000
PRIORITY_MAX = 1000

EntryShape = Literal["canonical", "live"]

#: Key under which a routing section hands its strategy to each raw entry it validates (not a
#: string, so no YAML key can collide with it).
STRATEGY_HINT: Final = object()
#: Hint value for a section whose ``routing_strategy`` is itself invalid.
UNKNOWN_STRATEGY: Final = "unknown"

_CANONICAL_FIELDS: Final = ("routing_key", "handler_key")
_LIVE_FIELDS: Final = ("handler", "event_model", "operation", "event_type", "topic", "payload_type")
_HANDLER_HINT: Final = "add handler: {name: HandlerClass, module: package.module}"
_BY_STRATEGY: Final = {
    EnumHandlerRoutingStrategy.PAYLOAD_TYPE_MATCH: (
        ("event_model", "payload_type"),
        "add event_model: {name: ModelPayload, module: package.module} (the payload class "
        "this handler serves)",
    ),
    EnumHandlerRoutingStrategy.OPERATION_MATCH: (
        ("operation",),
        "add operation: <the envelope operation this handler serves>",
    ),
    EnumHandlerRoutingStrategy.TOPIC_PATTERN: (
        ("topic", "event_type"),
        "add topic: <a topic or topic glob, e.g. onex.evt.platform.*.v1>",
    ),
}


class ModelHandlerRoutingEntry(BaseModel):
    """Maps one routing key to one handler; written in the canonical or the live shape.

    **Canonical shape**: ``routing_key`` (a payload model name, an operation or a topic glob,
    depending on the section's strategy) and ``handler_key`` (a ``handler_id`` in the
    registry).

    **Live shape** (upstream ONEX): ``handler: {name, module}`` names the handler class, and
    the routing key is read from the field the strategy needs: ``event_model.name`` (or
    ``payload_type``) for ``payload_type_match``, ``operation`` for ``operation_match``,
    ``topic`` (or else ``event_type``) for ``topic_pattern``. The entry's handler key is the
    class name ``handler.name``; it resolves to the registered instance of exactly that class
    (else to the handler whose ``handler_id`` is that name).

    Either way the validated entry has ``routing_key``, ``handler_key``, ``message_category``
    and ``priority`` filled in, so routing never looks at the shape. Mixing the shapes in one
    entry, or a live entry without its strategy's key, is an error naming the fix. Entries
    are ordered by ``(priority, position in the file)``; lower priority runs first.

    ``message_category`` is read in any case (``EVENT``, ``event``). The other fields are
    documentation, kept on the model for tools to read: ``description``, ``handler_type``,
    ``supported_operations``, ``input_model``, ``output_model``, ``output_fields``,
    ``output_events`` (the lint warns when a ``payload_type_match`` section routes one of
    them), ``backend``, ``direct_handler``, ``dynamic_backend_field``, and the structured
    ``state_decision_matrix``, ``timeout_evaluation`` and ``state_transition``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    # canonical shape ("" until filled in; a live entry gets them from its other fields)
    routing_key: ContractKey = ""
    handler_key: ContractKey = ""
    # live shape
    handler: ModelClassReference | None = None
    event_model: ModelClassReference | None = None
    operation: ContractKey | None = None
    event_type: ContractKey | None = None
    topic: ContractKey | None = None
    payload_type: ContractKey | None = None
    # both shapes
    message_category: EnumMessageCategory | None = None
    priority: int = Field(default=0, ge=PRIORITY_MIN, le=PRIORITY_MAX, strict=True)
    output_events: tuple[ContractKey, ...] = ()
    # documentation
    description: str = ""
    handler_type: ContractKey | None = None
    supported_operations: tuple[ContractKey, ...] = ()
    input_model: ModelClassReference | None = None
    output_model: ModelClassReference | None = None
    output_fields: tuple[ContractKey, ...] = ()
    backend: ContractKey | None = None
    direct_handler: bool | None = Field(default=None, strict=True)
    dynamic_backend_field: ContractKey | None = None
    state_decision_matrix: tuple[dict[str, Any], ...] = ()
    timeout_evaluation: dict[str, Any] | None = None
    state_transition: dict[str, Any] | None = None

    _routing_key_field: tuple[str, ...] = PrivateAttr(default=("routing_key",))

    @field_validator("message_category", mode="before")
    @classmethod
    def _category_any_case(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @model_validator(mode="wrap")
    @classmethod
    def _normalise(
        cls, data: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo
    ) -> Any:
        if isinstance(data, cls):
            return data
        strategy: Any = (info.context or {}).get("routing_strategy")
        if isinstance(data, dict) and STRATEGY_HINT in data:
            strategy = data[STRATEGY_HINT]
            data = {key: value for key, value in data.items() if key is not STRATEGY_HINT}
        entry = handler(data)
        entry._fill_keys(_parse_strategy(strategy))
        return entry

    @model_serializer(mode="wrap")
    def _without_derived_keys(self, serialise: SerializerFunctionWrapHandler) -> Any:
        data = serialise(self)
        if self.handler is not None and isinstance(data, dict):
            data.pop("routing_key", None)
            data.pop("handler_key", None)
        return data

    # -- the shape ---------------------------------------------------------------------------

    @property
    def shape(self) -> EntryShape:
        """``"live"`` when the entry names its handler class, else ``"canonical"``."""
        return "live" if self.handler is not None else "canonical"

    @property
    def routing_key_field(self) -> tuple[str, ...]:
        """Where the routing key was written, relative to the entry (``("operation",)``,
        ``("event_model", "name")``, ``("routing_key",)``...)."""
        return self._routing_key_field

    @property
    def handler_key_field(self) -> tuple[str, ...]:
        """Where the handler key was written: ``("handler", "name")`` or ``("handler_key",)``."""
        return ("handler", "name") if self.handler is not None else ("handler_key",)

    def describe(self) -> str:
        """``routing_key 'K' -> handler_key 'h'`` in the words of the entry's own shape."""
        where = ".".join(self._routing_key_field)
        if self.handler is None:
            return f"{where} {self.routing_key!r} -> handler_key {self.handler_key!r}"
        return f"{where} {self.routing_key!r} -> handler {self.handler.qualified_name}"

    # -- normalisation -----------------------------------------------------------------------

    def _fill_keys(self, strategy: EnumHandlerRoutingStrategy | str | None) -> None:
        """Check the shape and fill ``routing_key``/``handler_key`` of a live entry in place.

        Runs once, inside validation, before the entry is visible to anyone.
        """
        canonical = [name for name in _CANONICAL_FIELDS if getattr(self, name)]
        live = [name for name in _LIVE_FIELDS if getattr(self, name) is not None]
        if canonical and live:
            raise field_error(
                live[0],
                f"mixes the canonical shape ({', '.join(canonical)}) with the live shape "
                f"({', '.join(live)})",
                "write either routing_key + handler_key, or handler: {name, module} plus the "
                "key the routing strategy reads (event_model, operation or topic); not both",
            )
        if not live:
            if not canonical:
                raise missing_field_error(
                    "handler_key",
                    "the entry names no handler",
                    "write routing_key + handler_key, or handler: {name, module} plus the key "
                    "the routing strategy reads (event_model, operation or topic)",
                )
            for name in _CANONICAL_FIELDS:
                if not getattr(self, name):
                    raise missing_field_error(name, "required field is missing", "add it")
            return
        if self.handler is None:
            raise missing_field_error(
                "handler",
                "required field is missing: a live-shape entry names its handler class",
                _HANDLER_HINT,
            )
        field, key = self._live_routing_key(strategy)
        # The entry is frozen for everyone else; validation is still building it.
        object.__setattr__(self, "routing_key", key)
        object.__setattr__(self, "handler_key", self.handler.name)
        self._routing_key_field = field

    def _live_routing_key(
        self, strategy: EnumHandlerRoutingStrategy | str | None
    ) -> tuple[tuple[str, ...], str]:
        if not isinstance(strategy, EnumHandlerRoutingStrategy):
            strategy = self._inferred_strategy(lenient=strategy == UNKNOWN_STRATEGY)
        if strategy is EnumHandlerRoutingStrategy.PAYLOAD_TYPE_MATCH:
            if self.event_model is not None:
                if self.payload_type is not None and self.payload_type != self.event_model.name:
                    raise field_error(
                        "payload_type",
                        f"payload_type {self.payload_type!r} differs from event_model.name "
                        f"{self.event_model.name!r}",
                        "both name the payload class this handler serves: make them agree or "
                        "drop payload_type",
                    )
                return ("event_model", "name"), self.event_model.name
            if self.payload_type is not None:
                return ("payload_type",), self.payload_type
        elif strategy is EnumHandlerRoutingStrategy.OPERATION_MATCH:
            if self.operation is not None:
                return ("operation",), self.operation
        elif self.topic is not None:
            return ("topic",), self.topic
        elif self.event_type is not None:
            return ("event_type",), self.event_type
        fields, hint = _BY_STRATEGY[strategy]
        raise missing_field_error(
            fields[0],
            f"required field is missing: under routing_strategy {strategy.value} a live-shape "
            f"entry routes by {' or '.join(fields)}",
            hint,
        )

    def _inferred_strategy(self, *, lenient: bool) -> EnumHandlerRoutingStrategy:
        """The strategy whose key this entry carries, for an entry validated on its own."""
        found = [
            strategy
            for strategy, (fields, _) in _BY_STRATEGY.items()
            if any(getattr(self, name) is not None for name in fields)
        ]
        if len(found) == 1 or (found and lenient):
            return found[0]
        if not found:
            raise missing_field_error(
                "event_model",
                "required field is missing: a live-shape entry routes by event_model, "
                "operation or topic",
                "add the key its section's routing_strategy reads",
            )
        raise field_error(
            "handler",
            "cannot tell which field is the routing key without the section's "
            f"routing_strategy (the entry has keys for {', '.join(s.value for s in found)})",
            "validate the entry inside its handler_routing section, or pass "
            "context={'routing_strategy': ...}",
        )


def _parse_strategy(value: Any) -> EnumHandlerRoutingStrategy | str | None:
    """The strategy a section hands its entries: an enum, :data:`UNKNOWN_STRATEGY` for an
    invalid one, or ``None`` when there is no section."""
    if value is None or isinstance(value, EnumHandlerRoutingStrategy):
        return value
    if isinstance(value, str):
        try:
            return EnumHandlerRoutingStrategy(value.strip().lower())
        except ValueError:
            pass
    return UNKNOWN_STRATEGY


def strategy_hint(raw: Any) -> EnumHandlerRoutingStrategy | str:
    """What a section whose raw ``routing_strategy`` is ``raw`` hands its entries."""
    parsed = _parse_strategy(raw)
    return EnumHandlerRoutingStrategy.PAYLOAD_TYPE_MATCH if parsed is None else parsed


def raw_entry_shape(raw: Any) -> Literal["canonical", "live", "mixed", "none"]:
    """The shape a raw (unvalidated) entry mapping is written in, for tools that describe
    contracts they could not validate: ``mixed`` has keys of both, ``none`` of neither."""
    if not isinstance(raw, dict):
        return "none"
    canonical = any(name in raw for name in _CANONICAL_FIELDS)
    live = any(name in raw for name in _LIVE_FIELDS)
    if canonical and live:
        return "mixed"
    if canonical or live:
        return "canonical" if canonical else "live"
    return "none"
