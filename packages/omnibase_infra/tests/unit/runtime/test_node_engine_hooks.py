"""The engine's stop hook and its rule for intents, through the registration node."""

from __future__ import annotations

import dataclasses
from typing import Any
from uuid import uuid4

import pytest

from omnibase_core.enums import EnumMessageCategory
from omnibase_core.models.events import ModelEventEnvelope
from omnibase_infra.nodes.node_registration_orchestrator.service_registration_runtime import (
    ServiceRegistrationRuntime,
)
from omnibase_infra.runtime import ModelRunSummary
from omnibase_infra.stores.store_registration_memory import StoreRegistrationMemory

from .test_service_registration_runtime import T0, S, intro


@dataclasses.dataclass(frozen=True)
class _NotAnIntent:
    """Something a buggy handler might return as an intent: it cannot write itself."""

    node_name: str


@pytest.mark.parametrize("batch_size", [1, 2, 3])
def test_a_stop_requested_after_a_batch_ends_the_run_after_that_batch(batch_size: int) -> None:
    store = StoreRegistrationMemory()
    runtime = ServiceRegistrationRuntime(store, batch_size=batch_size)
    envelopes = [intro(uuid4(), at=T0 + n * S) for n in range(7)]
    seen: list[ModelRunSummary] = []

    def after_each_batch(summary: ModelRunSummary) -> None:
        seen.append(summary)
        runtime.request_stop()

    summary, _ = runtime.apply(envelopes, progress=after_each_batch)
    assert runtime.stop_requested
    assert len(seen) == 1
    assert summary.total == summary.applied == batch_size
    assert len(store.list_nodes()) == batch_size
    again, _ = runtime.apply(envelopes)
    assert again.total == 0  # a stopped engine stays stopped
    runtime.close()


def test_an_intent_that_cannot_write_itself_dead_letters_its_message_and_writes_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = StoreRegistrationMemory()
    runtime = ServiceRegistrationRuntime(store)
    handler: Any = runtime.node.route_to_handlers(
        "ModelNodeIntrospectionEvent", EnumMessageCategory.EVENT
    )[0]
    original = handler.handle

    async def with_a_foreign_intent(envelope: ModelEventEnvelope[Any], txn: Any) -> Any:
        output = await original(envelope, txn)
        return output.model_copy(update={"intents": (*output.intents, _NotAnIntent("x"))})

    monkeypatch.setattr(handler, "handle", with_a_foreign_intent)
    summary, events = runtime.apply([intro(uuid4())])
    assert summary.dead_lettered_by_reason == {"handler_error": 1}
    assert events == []
    assert store.list_nodes() == []
    [letter] = store.list_dead_letters()
    assert "unknown intent _NotAnIntent" in letter.detail
    assert "apply_to(txn)" in letter.detail
    runtime.close()
