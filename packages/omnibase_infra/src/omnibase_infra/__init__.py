"""omnibase_infra: infrastructure nodes built on omnibase_core."""

from __future__ import annotations

__all__ = ["__version__"]


def __getattr__(name: str) -> str:
    """``__version__``, read from the installed metadata on first use.

    Looked up lazily because ``importlib.metadata`` costs tens of milliseconds and every
    ``omnibase_infra`` import (the command line's ``--help`` among them) would pay for it.
    Raises ``AttributeError`` for any other name.
    """
    if name != "__version__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        value = version("omnibase-infra")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree without metadata
        value = "0+unknown"
    globals()["__version__"] = value
    return value
