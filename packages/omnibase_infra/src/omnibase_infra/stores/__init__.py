"""Registration stores: one protocol, one implementation per backend, chosen by URL."""

from omnibase_infra.stores.protocol_registration_store import ProtocolRegistrationStore
from omnibase_infra.stores.protocol_registration_transaction import (
    ProtocolRegistrationTransaction,
)

__all__ = ["ProtocolRegistrationStore", "ProtocolRegistrationTransaction"]
