"""omnibase_infra: infrastructure nodes built on omnibase_core."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("omnibase-infra")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without metadata
    __version__ = "0+unknown"

__all__ = ["__version__"]
