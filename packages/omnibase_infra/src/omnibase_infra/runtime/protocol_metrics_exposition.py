"""What an HTTP endpoint needs from a metrics registry to serve ``/metrics``."""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class ProtocolMetricsExposition(Protocol):
    """A set of metrics rendered in a text exposition format (Prometheus' for the service)."""

    @property
    def content_type(self) -> str:
        """The ``Content-Type`` of what :meth:`render` returns."""
        ...

    def render(self) -> bytes:
        """Every metric as it stands now, in the format named by :attr:`content_type`."""
        ...
