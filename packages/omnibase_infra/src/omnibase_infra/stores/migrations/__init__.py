"""Versioned schema migrations, one module per backend with the same version numbers.

Each backend module exposes ``MIGRATIONS``: a tuple of ``(version, sql)`` steps in increasing
version order, starting at 1. ``sql`` is a script of one or more statements. A store records
every applied step in its ``schema_version`` table (``version`` primary key, ``applied_at``)
and applies the missing ones on open and on ``migrate()``; a database whose newest version is
above the newest step the code knows is refused.
"""
