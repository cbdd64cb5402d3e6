"""Test support shipped with the core: suites that implementations of core protocols run.

Importing these modules needs ``pytest`` and ``hypothesis`` (test dependencies, not runtime
ones).
"""
