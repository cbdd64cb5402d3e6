"""The payload models a node reads, by ``payload_type``, prepared for the wire codec."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

from pydantic import BaseModel

from omnibase_core.enums import EnumCoreErrorCode
from omnibase_core.models.errors import ModelOnexError
from omnibase_core.models.events import ModelEventEnvelope
from omnibase_infra.runtime.model_wire_fast_plan import INSTANT_ANNOTATIONS, ModelWireFastPlan


class ModelPayloadCatalog:
    """A node's payload models keyed by their class name (the wire's ``payload_type``).

    Built once per node: for each model it prepares the envelope class that validates envelope
    and payload in one call, the payload fields holding an instant (which the codec checks in
    their one wire form) and, for a model it covers, the plan of the codec's one-pass decode
    of a well-formed line (:class:`ModelWireFastPlan`). The codec looks every ``payload_type``
    up here; a type the catalog does not hold keeps its raw JSON object, so routing reports it
    ``unroutable``.
    """

    __slots__ = ("_envelope_classes", "_fast_plans", "_instant_fields", "_models")

    def __init__(self, models: Iterable[type[BaseModel]] = ()) -> None:
        """Raises ``ModelOnexError(INVALID_PARAMETER)`` for two models of the same name."""
        by_name: dict[str, type[BaseModel]] = {}
        for model in models:
            if model.__name__ in by_name and by_name[model.__name__] is not model:
                raise ModelOnexError(
                    f"ModelPayloadCatalog: two payload models are named {model.__name__!r}; "
                    "payload types are matched by class name, rename one",
                    EnumCoreErrorCode.INVALID_PARAMETER,
                )
            by_name[model.__name__] = model
        self._models: Mapping[str, type[BaseModel]] = MappingProxyType(by_name)
        self._envelope_classes: Mapping[str, type[ModelEventEnvelope[Any]]] = MappingProxyType(
            {
                name: ModelEventEnvelope[model]  # type: ignore[valid-type]
                for name, model in by_name.items()
            }
        )
        self._instant_fields: Mapping[str, tuple[str, ...]] = MappingProxyType(
            {
                name: tuple(
                    field
                    for field, info in model.model_fields.items()
                    if info.annotation in INSTANT_ANNOTATIONS
                )
                for name, model in by_name.items()
            }
        )
        plans = {
            name.encode(): ModelWireFastPlan.for_payload(model, self._envelope_classes[name])
            for name, model in by_name.items()
        }
        self._fast_plans: Mapping[bytes, ModelWireFastPlan] = MappingProxyType(
            {name: plan for name, plan in plans.items() if plan is not None}
        )

    @property
    def models(self) -> Mapping[str, type[BaseModel]]:
        """The payload models by ``payload_type``."""
        return self._models

    def envelope_class(self, payload_type: str) -> type[ModelEventEnvelope[Any]]:
        """The envelope class validating ``payload_type`` (the untyped envelope if unknown)."""
        return self._envelope_classes.get(payload_type, ModelEventEnvelope)

    def instant_fields(self, payload_type: str) -> tuple[str, ...]:
        """The payload fields of ``payload_type`` that hold an instant (none if unknown)."""
        return self._instant_fields.get(payload_type, ())

    def fast_plan(self, payload_type: bytes) -> ModelWireFastPlan | None:
        """The one-pass decode plan of ``payload_type`` (its UTF-8 bytes as written on the
        wire), or ``None`` when the type is unknown or its model is not covered."""
        return self._fast_plans.get(payload_type)
