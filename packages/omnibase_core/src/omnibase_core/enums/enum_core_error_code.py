"""Error codes carried by :class:`~omnibase_core.models.errors.ModelOnexError`."""

from enum import StrEnum, unique


@unique
class EnumCoreErrorCode(StrEnum):
    """Machine-readable cause of a framework error; the value prefixes the error text.

    Each value is ``ONEX_CORE_`` followed by the member's name; ``@unique`` refuses, at import,
    two names for one code.
    """

    INVALID_PARAMETER = "ONEX_CORE_INVALID_PARAMETER"
    INVALID_STATE = "ONEX_CORE_INVALID_STATE"
    VALIDATION_ERROR = "ONEX_CORE_VALIDATION_ERROR"
    DUPLICATE_REGISTRATION = "ONEX_CORE_DUPLICATE_REGISTRATION"
    ITEM_NOT_REGISTERED = "ONEX_CORE_ITEM_NOT_REGISTERED"
    CONTRACT_VALIDATION_ERROR = "ONEX_CORE_CONTRACT_VALIDATION_ERROR"
    SERVICE_NOT_FOUND = "ONEX_CORE_SERVICE_NOT_FOUND"
    HANDLER_EXECUTION_ERROR = "ONEX_CORE_HANDLER_EXECUTION_ERROR"
    FILE_NOT_FOUND = "ONEX_CORE_FILE_NOT_FOUND"
    CONFIGURATION_ERROR = "ONEX_CORE_CONFIGURATION_ERROR"
