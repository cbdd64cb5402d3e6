"""Open a registration store from its URL.

Accepted URLs: ``memory://``, ``sqlite:///relative/path.db``, ``sqlite:////absolute/path.db``,
``sqlite:///:memory:`` and ``postgresql://user[:password]@host[:port]/database``. Each backend
module is imported only when its scheme is asked for, so the PostgreSQL driver is never loaded
for a SQLite store. A backend class is constructed as ``cls(url)`` and then ``migrate()`` is
called, so the schema is current before the store is handed out.

Every command reads its ``--store`` through :func:`parse_store_url`, the one rule for what a
URL means (backend, SQLite file, options), so a URL ``run`` accepts works the same for every
other command.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping
from typing import Any, cast

from omnibase_core.enums import EnumCoreErrorCode
from omnibase_core.models.errors import ModelOnexError
from omnibase_infra.stores.model_store_url import ModelStoreUrl
from omnibase_infra.stores.protocol_registration_store import ProtocolRegistrationStore
from omnibase_infra.utils.url_masking import mask_url

ENV_STORE_URL = "ONEX_REGISTRATION_STORE"
DEFAULT_STORE_URL = "sqlite:///registration.db"
ACCEPTED_URLS = (
    "memory://, sqlite:///relative.db, sqlite:////absolute/path.db, "
    "postgresql://user@host:port/database"
)

_BACKENDS: dict[str, tuple[str, str]] = {
    "memory": ("omnibase_infra.stores.store_registration_memory", "StoreRegistrationMemory"),
    "sqlite": ("omnibase_infra.stores.store_registration_sqlite", "StoreRegistrationSqlite"),
    "postgresql": (
        "omnibase_infra.stores.store_registration_postgres",
        "StoreRegistrationPostgres",
    ),
    "postgres": (
        "omnibase_infra.stores.store_registration_postgres",
        "StoreRegistrationPostgres",
    ),
}
_SQLITE_MEMORY = ":memory:"


def default_store_url(environ: Mapping[str, str] | None = None) -> str:
    """``$ONEX_REGISTRATION_STORE`` when set and not blank, else ``sqlite:///registration.db``."""
    env = os.environ if environ is None else environ
    value = env.get(ENV_STORE_URL, "").strip()
    return value or DEFAULT_STORE_URL


def parse_store_url(url: str | None = None) -> ModelStoreUrl:
    """Read ``url`` (default: :func:`default_store_url`) the way :func:`open_store` opens it.

    The scheme picks the backend (case-insensitive; ``postgres`` is ``postgresql``). A SQLite
    URL is checked by the SQLite store's own rule (path, ``?synchronous=`` option), so the
    file named here is the file the store opens; ``memory://`` takes nothing after the
    scheme. A PostgreSQL URL is checked further by its store when it connects. Raises
    ``ModelOnexError(CONFIGURATION_ERROR)`` for an unknown scheme or a malformed URL, with a
    one-line message listing the accepted forms.
    """
    text = default_store_url() if url is None else url.strip()
    scheme, sep, rest = text.partition("://")
    scheme = scheme.lower()
    if not sep or scheme not in _BACKENDS:
        raise ModelOnexError(
            f"store URL {mask_url(text)!r} is not supported; accepted URLs: {ACCEPTED_URLS}",
            EnumCoreErrorCode.CONFIGURATION_ERROR,
            {"store_url": mask_url(text)},
        )
    if scheme == "memory":
        if rest:
            raise ModelOnexError(
                f"store URL {text!r}: the memory store takes exactly 'memory://' (no path or "
                f"options); accepted URLs: {ACCEPTED_URLS}",
                EnumCoreErrorCode.CONFIGURATION_ERROR,
                {"store_url": text},
            )
        return ModelStoreUrl(url=text, scheme="memory")
    if scheme == "sqlite":
        from omnibase_infra.stores.store_registration_sqlite import StoreRegistrationSqlite

        path, _synchronous = StoreRegistrationSqlite.parse_url(text)
        return ModelStoreUrl(
            url=text, scheme="sqlite", sqlite_path=None if path == _SQLITE_MEMORY else path
        )
    return ModelStoreUrl(url=text, scheme="postgresql")


def open_store(url: str | None = None) -> ProtocolRegistrationStore:
    """Open the store at ``url`` (default: :func:`default_store_url`) with its schema migrated.

    Raises ``ModelOnexError(CONFIGURATION_ERROR)`` for an unknown scheme, a malformed URL or a
    backend that is not available, and whatever the backend raises when it cannot open (for
    example a missing folder or a database that cannot be reached), always as
    ``ModelOnexError`` with a one-line message.
    """
    parsed = parse_store_url(url)
    url, scheme = parsed.url, parsed.scheme
    module_name, class_name = _BACKENDS[scheme]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        missing = exc.name or module_name
        raise ModelOnexError(
            f"store URL {mask_url(url)!r}: the {scheme} store is not available in this "
            f"installation (module {missing} is missing); install it or use one of: "
            f"{ACCEPTED_URLS}",
            EnumCoreErrorCode.CONFIGURATION_ERROR,
            {"store_url": mask_url(url), "missing_module": missing},
        ) from None
    store_class = cast(Any, getattr(module, class_name))
    store = cast(ProtocolRegistrationStore, store_class(url))
    try:
        store.migrate()
    except BaseException:
        store.close()
        raise
    return store
