"""A node's typed contract section, end to end: the installed ``onex`` script finds the
registration contract's model through omnibase-infra's entry point, and the values of the
``lifecycle`` section are the ones the runtime applies."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from omnibase_infra.enums import EnumLifecycleEventType
from omnibase_infra.nodes.node_registration_orchestrator.node import (
    NodeRegistrationOrchestrator,
)
from omnibase_infra.nodes.node_registration_orchestrator.service_registration_runtime import (
    ServiceRegistrationRuntime,
)
from omnibase_infra.stores.store_registration_memory import StoreRegistrationMemory

CONTRACT = NodeRegistrationOrchestrator.DEFAULT_CONTRACT_PATH
ONEX = Path(sys.executable).with_name("onex")
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
NODES = 5


def _stamp(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def _introspection(index: int) -> str:
    node = f"00000000-0000-4000-8000-{index:012d}"
    return json.dumps(
        {
            "envelope_id": f"10000000-0000-4000-8000-{index:012d}",
            "envelope_timestamp": _stamp(T0),
            "topic": "onex.evt.platform.node-introspection.v1",
            "payload_type": "ModelNodeIntrospectionEvent",
            "payload": {
                "node_id": node,
                "node_name": f"node-{index}",
                "node_type": "compute",
                "node_version": "1.0.0",
                "reason": "startup",
                "epoch": 1,
                "timestamp": _stamp(T0),
            },
        }
    )


def _tick_id(sequence: int) -> str:
    return f"20000000-0000-4000-8000-{sequence:012d}"


def _tick(sequence: int, now: datetime) -> str:
    tick_id = _tick_id(sequence)
    return json.dumps(
        {
            "envelope_id": tick_id,
            "envelope_timestamp": _stamp(now),
            "category": "intent",
            "topic": "onex.intent.platform.runtime-tick.v1",
            "payload_type": "ModelRuntimeTick",
            "payload": {
                "tick_id": tick_id,
                "now": _stamp(now),
                "sequence_number": sequence,
                "scheduler_id": "scheduler-a",
                "tick_interval_ms": 1000,
            },
        }
    )


def _custom_contract(tmp_path: Path, **replacements: str) -> Path:
    text = CONTRACT.read_text()
    for key, value in replacements.items():
        old = next(line for line in text.splitlines() if line.strip().startswith(f"{key}:"))
        text = text.replace(old, f"  {key}: {value}")
    path = tmp_path / "contract.yaml"
    path.write_text(text)
    return path


def test_the_installed_onex_script_checks_the_lifecycle_section(tmp_path: Path) -> None:
    good = _custom_contract(tmp_path, expiry_batch_size="2")
    bad = tmp_path / "bad.yaml"
    bad.write_text(good.read_text().replace("expiry_batch_size:", "expiry_batch_sise:"))

    done = subprocess.run(
        [str(ONEX), "contract", "validate", str(good), str(bad)],
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert any(line.startswith(f"{good}: ok") for line in lines)
    located = [line for line in lines if re.match(rf"{re.escape(str(bad))}:\d+:\d+: ", line)]
    assert len(located) == 1
    assert located[0].endswith(
        ": lifecycle.expiry_batch_sise: unknown field; did you mean 'expiry_batch_size'?"
    )


def test_the_runtime_applies_the_lifecycle_values_of_its_contract(tmp_path: Path) -> None:
    """Deadlines from ``liveness_interval_seconds: 5``, at most ``expiry_batch_size: 2``
    expiries per tick: five silent nodes expire two, two and one over three ticks."""
    contract = _custom_contract(tmp_path, liveness_interval_seconds="5", expiry_batch_size="2")
    lines = [_introspection(index) for index in range(NODES)]
    lines += [_tick(1, T0 + timedelta(seconds=4))]  # before the 5 s deadline: nothing expires
    lines += [_tick(n, T0 + timedelta(seconds=4 + n)) for n in range(2, 5)]

    runtime = ServiceRegistrationRuntime(StoreRegistrationMemory(), contract_path=contract)
    try:
        summary, events = runtime.run_lines(lines, "lifecycle.jsonl")
    finally:
        runtime.close()

    assert runtime.settings.liveness_interval == timedelta(seconds=5)
    assert runtime.settings.expiry_batch_size == 2
    assert summary.applied == len(lines)
    expired = [
        str(event.causation_id)
        for event in events
        if event.event_type is EnumLifecycleEventType.NODE_LIVENESS_EXPIRED
    ]
    assert [expired.count(_tick_id(n)) for n in range(1, 5)] == [0, 2, 2, 1]
