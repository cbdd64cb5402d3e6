"""Registration stores: one protocol, one implementation per backend, chosen by URL."""

from omnibase_infra.stores.model_lease_lost_error import ModelLeaseLostError
from omnibase_infra.stores.model_store_data_error import ModelStoreDataError
from omnibase_infra.stores.model_store_url import ModelStoreUrl
from omnibase_infra.stores.protocol_lease_store import ProtocolLeaseStore
from omnibase_infra.stores.protocol_partition_leases import ProtocolPartitionLeases
from omnibase_infra.stores.protocol_registration_store import ProtocolRegistrationStore
from omnibase_infra.stores.protocol_registration_transaction import (
    ProtocolRegistrationTransaction,
)
from omnibase_infra.stores.store_factory import default_store_url, open_store, parse_store_url
from omnibase_infra.stores.store_registration_memory import StoreRegistrationMemory
from omnibase_infra.stores.store_registration_sqlite import StoreRegistrationSqlite

__all__ = [
    "ModelLeaseLostError",
    "ModelStoreDataError",
    "ModelStoreUrl",
    "ProtocolLeaseStore",
    "ProtocolPartitionLeases",
    "ProtocolRegistrationStore",
    "ProtocolRegistrationTransaction",
    "StoreRegistrationMemory",
    "StoreRegistrationSqlite",
    "default_store_url",
    "open_store",
    "parse_store_url",
]
