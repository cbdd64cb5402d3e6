"""The one check of a NATS server URL, and the one error for a server that does not answer,
shared by everything that connects to a server."""

from __future__ import annotations

from urllib.parse import urlsplit

from omnibase_core.bus.bus_checks import invalid
from omnibase_core.models.bus import ModelBusUnavailableError
from omnibase_infra.utils.url_masking import mask_url

#: The URL schemes nats-py connects with: plain and TLS.
NATS_SCHEMES = frozenset({"nats", "tls"})


def check_nats_url(url: str) -> str:
    """``url`` if it is a NATS server URL (``nats://HOST:PORT`` or ``tls://HOST:PORT``).

    Raises ``ModelOnexError(INVALID_PARAMETER)`` naming the URL (password masked) otherwise.
    """
    if urlsplit(url).scheme not in NATS_SCHEMES:
        raise invalid(
            f"bus URL {mask_url(url)!r} is not nats://HOST:PORT (or tls://HOST:PORT)",
            url=mask_url(url),
        )
    return url


def unreachable(url: str, exc: BaseException) -> ModelBusUnavailableError:
    """The error for a failed connection to the server at ``url`` (password masked): what
    failed, and to check that nats-server runs there with JetStream."""
    return ModelBusUnavailableError(
        f"cannot connect to NATS at {mask_url(url)}: {type(exc).__name__}: {exc}; "
        "check that nats-server runs with JetStream (-js) there",
        context={"url": mask_url(url)},
    )
