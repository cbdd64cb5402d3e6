"""The JSON text both SQL stores keep documents as: compact, key order kept, finite numbers."""

from __future__ import annotations

import json

dumps = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode
"""Compact JSON text of a document (key order kept); raises what :data:`ENCODE_ERRORS` lists
for a value JSON cannot hold."""

#: What the JSON encoder raises for a value it cannot write: an unencodable string, a
#: non-finite number, a value that is not JSON.
ENCODE_ERRORS = (UnicodeError, OverflowError, ValueError, TypeError)
