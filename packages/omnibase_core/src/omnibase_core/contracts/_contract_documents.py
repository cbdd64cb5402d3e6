"""Which parsed YAML document each loaded contract came from (for located findings later)."""

from __future__ import annotations

import threading
import weakref
from typing import Any

from omnibase_core.contracts.model_yaml_document import ModelYamlDocument

_LOCK = threading.Lock()
_DOCUMENTS: dict[int, ModelYamlDocument] = {}


def _forget(key: int) -> None:
    with _LOCK:
        _DOCUMENTS.pop(key, None)


def remember_document(contract: Any, document: ModelYamlDocument) -> None:
    """Record that ``contract`` was read from ``document``, for as long as ``contract`` lives.

    Kept beside the contract rather than on it, so contracts still compare by their data.
    """
    key = id(contract)
    with _LOCK:
        _DOCUMENTS[key] = document
    weakref.finalize(contract, _forget, key)


def document_of(contract: Any) -> ModelYamlDocument | None:
    """The document ``contract`` was loaded from by ``load_contract``, or ``None``."""
    with _LOCK:
        return _DOCUMENTS.get(id(contract))
