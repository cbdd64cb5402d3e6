"""The keys a batch will read, computed only if a node asks for them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from uuid import UUID


class ModelBatchKeys:
    """The inbox keys and the partition keys of one batch, for a node's read-ahead.

    Computed on first access and kept: a node whose store reads on demand never pays for them.
    """

    __slots__ = ("_compute", "_computed")

    def __init__(self, compute: Callable[[], tuple[list[UUID], list[UUID]]]) -> None:
        """``compute`` returns (inbox keys, partition keys), in batch order."""
        self._compute = compute
        self._computed: tuple[list[UUID], list[UUID]] | None = None

    @property
    def inbox_ids(self) -> Sequence[UUID]:
        """The inbox key of every input that has one."""
        return self._keys()[0]

    @property
    def partition_keys(self) -> Sequence[UUID]:
        """The partition key of every envelope whose payload names one."""
        return self._keys()[1]

    def _keys(self) -> tuple[list[UUID], list[UUID]]:
        if self._computed is None:
            self._computed = self._compute()
        return self._computed
