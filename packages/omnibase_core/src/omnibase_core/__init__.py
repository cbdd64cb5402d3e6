"""omnibase_core: contract-driven handler routing for event-driven ONEX nodes."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("omnibase-core")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without metadata
    __version__ = "0+unknown"

__all__ = ["__version__"]
