"""The engine's garbage-collector pause: collections at batch boundaries, the process restored."""

from __future__ import annotations

import gc
import threading
import weakref
from collections.abc import Iterator
from uuid import uuid4

import pytest

from omnibase_infra.nodes.node_registration_orchestrator.service_registration_runtime import (
    ServiceRegistrationRuntime,
)
from omnibase_infra.runtime.service_gc_pause import ServiceGcPause
from omnibase_infra.stores.store_registration_memory import StoreRegistrationMemory

from .test_service_registration_runtime import T0, S, intro


class _Cycle:
    """An object in a reference cycle: only the cyclic collector frees it."""

    def __init__(self) -> None:
        self.me = self


@pytest.fixture(autouse=True)
def _collector_as_found() -> Iterator[None]:
    """Every test starts with the collector on and nothing frozen, and leaves it so."""
    gc.unfreeze()
    gc.enable()
    yield
    gc.unfreeze()
    gc.enable()


def test_the_pause_switches_collection_off_and_restores_it_on_leaving() -> None:
    with ServiceGcPause():
        assert not gc.isenabled()
        assert gc.get_freeze_count() > 0
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_the_pause_restores_the_collector_when_the_block_raises() -> None:
    with pytest.raises(RuntimeError, match="boom"), ServiceGcPause():
        raise RuntimeError("boom")
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_between_batches_frees_the_cyclic_garbage_of_the_batch() -> None:
    with ServiceGcPause() as pause:
        garbage = weakref.ref(_Cycle())
        assert garbage() is not None  # automatic collection is off: the cycle survives
        pause.between_batches()
        assert garbage() is None
        kept = _Cycle()
        pause.between_batches()
        assert gc.is_tracked(kept)
    assert garbage() is None


def test_the_pause_does_nothing_when_the_collector_is_off() -> None:
    gc.disable()
    with ServiceGcPause() as pause:
        garbage = weakref.ref(_Cycle())
        pause.between_batches()
        assert garbage() is not None  # the caller manages the collector
        assert gc.get_freeze_count() == 0
    assert not gc.isenabled()
    gc.collect()
    assert garbage() is None


def test_the_pause_leaves_a_process_that_froze_objects_itself_alone() -> None:
    kept = _Cycle()
    gc.freeze()
    frozen = gc.get_freeze_count()
    with ServiceGcPause() as pause:
        assert gc.isenabled()
        pause.between_batches()
    assert gc.get_freeze_count() == frozen
    assert gc.isenabled()
    del kept


def test_overlapping_pauses_in_many_threads_restore_the_collector_once_the_last_leaves() -> None:
    inside = threading.Barrier(9)  # eight runs and this test
    leave = threading.Event()
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with ServiceGcPause() as pause:
                inside.wait(timeout=10)
                pause.between_batches()
                leave.wait(timeout=10)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(8)]
    for thread in threads:
        thread.start()
    inside.wait(timeout=10)
    assert not gc.isenabled()
    leave.set()
    for thread in threads:
        thread.join(timeout=10)
    assert errors == []
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_an_engine_run_leaves_the_collector_as_it_found_it() -> None:
    store = StoreRegistrationMemory()
    runtime = ServiceRegistrationRuntime(store, batch_size=2)
    summary, _ = runtime.apply([intro(uuid4(), at=T0 + n * S) for n in range(5)])
    assert summary.applied == 5
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0
    runtime.close()
