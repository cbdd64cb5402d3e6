"""Masking the password of a URL before it appears in a message, a log line or a property.

Every store and bus that names its URL goes through :func:`mask_url`, so a password given in
``scheme://user:password@host`` is never printed, whatever the backend.
"""

from __future__ import annotations

MASK = "***"
"""What stands in place of a password."""


def mask_url(url: str) -> str:
    """``url`` with the password of ``scheme://user:password@host...`` replaced by ``***``.

    The user information is everything after ``://`` up to the last ``@``, so a password that
    itself holds ``@``, ``/`` or ``:`` is masked whole. A URL without a password (no ``://``,
    no ``@``, or no ``:`` in the user information) is returned unchanged. Works on any text,
    malformed URLs included, and raises nothing: it is called while reporting bad input.
    """
    scheme, sep, rest = url.partition("://")
    userinfo, at, host = rest.rpartition("@")
    if not sep or not at or ":" not in userinfo:
        return url
    user = userinfo.split(":", 1)[0]
    return f"{scheme}{sep}{user}:{MASK}@{host}"
