"""Message envelopes."""

from omnibase_core.models.events.model_event_envelope import ModelEventEnvelope

__all__ = ["ModelEventEnvelope"]
