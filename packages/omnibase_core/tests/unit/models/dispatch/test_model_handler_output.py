"""ModelHandlerOutput: empty defaults and a non-negative processing time."""

from __future__ import annotations

from uuid import UUID

import pytest
from pydantic import ValidationError

from omnibase_core.models.dispatch import ModelHandlerOutput


def test_handler_output() -> None:
    output = ModelHandlerOutput(handler_id="h", input_envelope_id=UUID(int=1), events=(1, 2))
    assert output.intents == ()
    assert output.ignored_reason is None
    with pytest.raises(ValidationError):
        ModelHandlerOutput(handler_id="h", input_envelope_id=UUID(int=1), processing_time_ms=-1)
