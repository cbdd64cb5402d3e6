"""Enumerations of the registration orchestrator."""

from omnibase_infra.nodes.node_registration_orchestrator.enums.enum_registration_ignore_reason import (  # noqa: E501
    EnumRegistrationIgnoreReason,
)

__all__ = ["EnumRegistrationIgnoreReason"]
