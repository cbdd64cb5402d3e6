"""Keeps the cyclic garbage collector out of the middle of the engine's batches."""

from __future__ import annotations

import gc
import threading
from types import TracebackType
from typing import ClassVar, Self


class ServiceGcPause:
    """The garbage-collector policy of one engine run, entered around its batch loop.

    A run allocates and frees hundreds of thousands of small objects per batch, nearly all
    freed by reference counting at once. The cyclic collector, triggered by allocation counts,
    would still interrupt every few hundred allocations and walk the objects that survive
    (a store's rows, caches) again and again as they age, and now and then every object of the
    process (imported modules, the node's models). For the run this pause instead:

    - freezes what exists when the run starts (``gc.freeze()``), so it is never walked while
      the run lasts;
    - turns automatic collection off and collects at batch boundaries only
      (:meth:`between_batches`): the young generations, which hold what the batch allocated,
      then freezes what survived. Each object is walked about once, cyclic garbage made by a
      batch is freed when that batch ends.

    Leaving restores the process as it was: the frozen objects are unfrozen (older cyclic
    garbage among them is then collected as usual) and automatic collection is switched back
    on. When it was off as the run started, or the process had frozen objects of its own (say,
    before forking workers), this pause does nothing at all: the caller manages the collector.
    Runs overlapping in several threads share one pause: the first to enter sets it up, the
    last to leave restores it.
    """

    _lock: ClassVar = threading.Lock()
    _depth: ClassVar = 0
    _owned: ClassVar = False

    def __enter__(self) -> Self:
        cls = type(self)
        with cls._lock:
            if cls._depth == 0:
                cls._owned = gc.isenabled() and gc.get_freeze_count() == 0
                if cls._owned:
                    gc.disable()
                    gc.freeze()
            cls._depth += 1
        return self

    def between_batches(self) -> None:
        """Collect what the last batch left (call it once the batch is no longer referenced)
        and freeze the survivors."""
        if type(self)._owned:
            gc.collect(1)
            gc.freeze()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        cls = type(self)
        with cls._lock:
            cls._depth -= 1
            if cls._depth == 0 and cls._owned:
                cls._owned = False
                gc.unfreeze()
                gc.enable()
