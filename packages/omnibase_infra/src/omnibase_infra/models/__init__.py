"""Models shared by the stores, the runtime and the CLI."""

from omnibase_infra.models.model_dead_letter import ModelDeadLetter
from omnibase_infra.models.model_lifecycle_event import ModelLifecycleEvent
from omnibase_infra.models.model_partition import ModelPartition, partition_hash
from omnibase_infra.models.model_registration_projection import ModelRegistrationProjection

__all__ = [
    "ModelDeadLetter",
    "ModelLifecycleEvent",
    "ModelPartition",
    "ModelRegistrationProjection",
    "partition_hash",
]
