"""Loading and checking node contracts.

``load_contract(path)`` is the entry point (``load_contract(path, model=MyContract)`` for code
that knows its node's contract model); the other names serve tools such as
``onex contract validate``.
"""

from omnibase_core.contracts._contract_documents import document_of
from omnibase_core.contracts.contract_errors import build_contract_error, problems_from_error
from omnibase_core.contracts.contract_file_reader import read_contract_file
from omnibase_core.contracts.contract_handler_registry import (
    build_handler_registry,
    check_handler_classes,
)
from omnibase_core.contracts.contract_loader import (
    ContractT,
    load_contract,
    load_contract_located,
    load_contract_text,
    load_contract_text_located,
    validate_contract_document,
)
from omnibase_core.contracts.contract_models import (
    CONTRACT_MODELS_GROUP,
    contract_model_for,
    find_contract_model,
)
from omnibase_core.contracts.contract_registry_check import check_contract_handlers
from omnibase_core.contracts.model_yaml_document import ModelYamlDocument, format_field_path
from omnibase_core.contracts.routing_lint import lint_handler_routing, pattern_covers
from omnibase_core.contracts.yaml_position_loader import (
    DEFAULT_MAX_ALIAS_NODES,
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_DEPTH,
    YamlPositionLoader,
)

__all__ = [
    "CONTRACT_MODELS_GROUP",
    "DEFAULT_MAX_ALIAS_NODES",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_DEPTH",
    "ContractT",
    "ModelYamlDocument",
    "YamlPositionLoader",
    "build_contract_error",
    "build_handler_registry",
    "check_contract_handlers",
    "check_handler_classes",
    "contract_model_for",
    "document_of",
    "find_contract_model",
    "format_field_path",
    "lint_handler_routing",
    "load_contract",
    "load_contract_located",
    "load_contract_text",
    "load_contract_text_located",
    "pattern_covers",
    "problems_from_error",
    "read_contract_file",
    "validate_contract_document",
]
