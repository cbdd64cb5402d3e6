"""A store URL as every command reads it: its backend and, for SQLite, its files."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

#: The files SQLite keeps beside a database in WAL mode (and in rollback-journal mode).
SQLITE_SIDE_FILES: tuple[tuple[str, str], ...] = (
    ("-wal", "write-ahead log"),
    ("-shm", "shared-memory index"),
    ("-journal", "rollback journal"),
)


class ModelStoreUrl(BaseModel):
    """A parsed store URL (see ``omnibase_infra.stores.store_factory.parse_store_url``).

    ``url`` is the URL as given (surrounding blanks removed), ``scheme`` its backend
    (``postgres://`` is read as ``postgresql``) and ``sqlite_path`` the database file of a
    SQLite store exactly as the store opens it (relative to the current folder when the URL
    is ``sqlite:///relative.db``), or ``None`` for a store without a file (``memory://``,
    ``sqlite:///:memory:``, PostgreSQL).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    url: str
    scheme: Literal["memory", "sqlite", "postgresql"]
    sqlite_path: str | None = None

    def sqlite_files(self) -> tuple[tuple[str, str], ...]:
        """``(description, path)`` of every file the SQLite store may write: the database
        and its side files (``-wal``, ``-shm``, ``-journal``); empty for other stores.

        Callers use it to keep other output away from the store's files. Raises nothing.
        """
        if self.sqlite_path is None:
            return ()
        path = self.sqlite_path
        return (
            ("the SQLite store", path),
            *((f"the SQLite store's {what}", path + suffix) for suffix, what in SQLITE_SIDE_FILES),
        )
