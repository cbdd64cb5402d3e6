"""Write envelopes as a JSON-lines input, optionally mixed with malformed lines."""

from __future__ import annotations

import json
import random
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from omnibase_core.enums import EnumCoreErrorCode
from omnibase_core.models.errors import ModelOnexError
from omnibase_core.models.events import ModelEventEnvelope
from omnibase_infra.enums import EnumDeadLetterReason
from omnibase_infra.runtime.wire_codec import encode_envelope

_HEARTBEAT_TOPIC = "onex.evt.platform.node-heartbeat.v1"


class ServiceWireStreamWriter:
    """Encodes envelopes as wire lines and mixes in malformed lines on request.

    The lines follow docs/registration.md, *Wire format*.

    ``malformed_fraction`` is the share of malformed lines in the *output*: 9,000 envelopes
    with ``0.1`` give 10,000 lines, 1,000 of them malformed. The malformed lines cover every
    way a line can be refused (not JSON, not an envelope, an invalid payload, a naive envelope
    or payload timestamp, an unknown payload type) and each has its own
    envelope id, so none of them is a duplicate. :attr:`expected_dead_letters` says how many
    of each reason a correct runtime must record. Deterministic for a given ``seed``.
    """

    def __init__(self, *, malformed_fraction: float = 0.0, seed: int = 0) -> None:
        """Raises ``ModelOnexError(INVALID_PARAMETER)`` unless ``0 <= malformed_fraction < 1``."""
        if not 0.0 <= malformed_fraction < 1.0:
            raise ModelOnexError(
                f"ServiceWireStreamWriter: malformed_fraction={malformed_fraction} must be in "
                "[0, 1)",
                EnumCoreErrorCode.INVALID_PARAMETER,
                {"malformed_fraction": malformed_fraction},
            )
        self._fraction = malformed_fraction
        self._seed = seed
        self.expected_dead_letters: Counter[EnumDeadLetterReason] = Counter()

    def lines(self, envelopes: Sequence[ModelEventEnvelope[Any]]) -> list[str]:
        """The wire lines (without newlines), malformed ones spread evenly at random."""
        # A seed of its own: the simulator's ids come from random.Random(seed) too, and a
        # malformed line must never share an envelope id with a real envelope.
        rng = random.Random(f"malformed-wire-lines:{self._seed}")
        good = [encode_envelope(envelope) for envelope in envelopes]
        bad_count = round(len(good) * self._fraction / (1.0 - self._fraction))
        self.expected_dead_letters = Counter()
        bad = [self._malformed(rng, index) for index in range(bad_count)]
        slots = sorted(rng.sample(range(len(good) + bad_count), bad_count))
        out: list[str] = []
        good_iter, bad_iter = iter(good), iter(bad)
        slot_set = set(slots)
        for position in range(len(good) + bad_count):
            out.append(next(bad_iter) if position in slot_set else next(good_iter))
        return out

    def write(self, envelopes: Sequence[ModelEventEnvelope[Any]], path: Path) -> int:
        """Write :meth:`lines` to ``path``, one per line; returns the number of lines."""
        lines = self.lines(envelopes)
        _write_lines(path, lines)
        return len(lines)

    def _malformed(self, rng: random.Random, index: int) -> str:
        envelope_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        node_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        heartbeat: dict[str, Any] = {
            "envelope_id": envelope_id,
            "envelope_timestamp": "2026-03-01T12:00:00Z",
            "topic": _HEARTBEAT_TOPIC,
            "payload_type": "ModelNodeHeartbeatEvent",
            "payload": {
                "node_id": node_id,
                "epoch": 1,
                "uptime_seconds": 1.0,
                "timestamp": "2026-03-01T12:00:00Z",
            },
        }
        kind = index % 7
        reason = EnumDeadLetterReason.INVALID_PAYLOAD
        if kind == 0:
            reason = EnumDeadLetterReason.UNPARSEABLE
            text = json.dumps(heartbeat)[: rng.randint(5, 60)]
        elif kind == 1:
            reason = EnumDeadLetterReason.UNPARSEABLE
            text = f"garbage line {index} \x7f{{"
        elif kind == 2:
            reason = EnumDeadLetterReason.INVALID_ENVELOPE
            heartbeat.pop("envelope_id")
            heartbeat["correlation_id"] = envelope_id  # distinct text, so distinct dead letters
            text = json.dumps(heartbeat)
        elif kind == 3:
            reason = EnumDeadLetterReason.INVALID_ENVELOPE
            heartbeat["envelope_timestamp"] = "2026-03-01T12:00:00"  # naive
            text = json.dumps(heartbeat)
        elif kind == 4:
            heartbeat["payload"]["epoch"] = -1
            text = json.dumps(heartbeat)
        elif kind == 5:
            reason = EnumDeadLetterReason.INVALID_ENVELOPE  # a wire timestamp must have an offset
            heartbeat["payload"]["timestamp"] = "2026-03-01T12:00:00"  # naive
            text = json.dumps(heartbeat)
        else:
            reason = EnumDeadLetterReason.UNROUTABLE
            heartbeat["payload_type"] = "ModelNodeCheckup"
            text = json.dumps(heartbeat)
        self.expected_dead_letters[reason] += 1
        return text


def _write_lines(path: Path, lines: Iterable[str]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for line in lines:
            handle.write(line)
            handle.write("\n")
