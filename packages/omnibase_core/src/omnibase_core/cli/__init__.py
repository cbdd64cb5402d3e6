"""Command line of the core: ``onex`` (``python -m omnibase_core.cli``)."""

from omnibase_core.cli.cli_onex import main

__all__ = ["main"]
