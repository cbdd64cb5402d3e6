"""How registry rows, emitted events and dead letters look on the command line."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from omnibase_infra.cli.cli_table import render_table
from omnibase_infra.enums import EnumRegistrationState
from omnibase_infra.models import ModelDeadLetter, ModelLifecycleEvent, ModelRegistrationProjection


def node_json(node: ModelRegistrationProjection) -> str:
    """One registry row as a JSON object (``nodes --json``; docs/registration.md, *Wire format*)."""
    return _dumps(node.model_dump(mode="json"))


def event_json(event: ModelLifecycleEvent) -> str:
    """One emitted event as its wire JSON object (``events --json``, ``run --out``)."""
    return _dumps(event.to_wire())


def dead_letter_json(dead_letter: ModelDeadLetter) -> str:
    """One dead letter as a JSON object (``dead-letters --json``)."""
    return _dumps(dead_letter.model_dump(mode="json"))


def nodes_table(nodes: Iterable[ModelRegistrationProjection]) -> str:
    """The registry as a table, one node per row."""
    rows = [
        (
            n.node_name,
            str(n.node_id)[:8],
            n.state.value,
            n.node_type.value,
            n.node_version,
            n.epoch,
            n.last_heartbeat_at,
            n.liveness_deadline,
        )
        for n in nodes
    ]
    headers = ("NAME", "NODE ID", "STATE", "TYPE", "VERSION", "EPOCH", "LAST HEARTBEAT", "DEADLINE")
    return render_table(headers, rows, right_aligned=frozenset({5}))


def events_table(events: Iterable[ModelLifecycleEvent]) -> str:
    """Emitted events as a table, in commit order."""
    rows = [
        (e.sequence, e.emitted_at, e.event_type.value, str(e.node_id)[:8], str(e.causation_id)[:8])
        for e in events
    ]
    return render_table(
        ("SEQ", "EMITTED AT", "EVENT", "NODE ID", "CAUSED BY"), rows, right_aligned=frozenset({0})
    )


def dead_letters_table(dead_letters: Iterable[ModelDeadLetter]) -> str:
    """Dead letters as a table: where each came from, why, and the detail."""
    rows = [
        (
            d.recorded_at,
            _location(d),
            d.reason.value,
            d.detail if len(d.detail) <= 100 else d.detail[:97] + "...",
        )
        for d in dead_letters
    ]
    return render_table(("RECORDED AT", "INPUT", "REASON", "DETAIL"), rows)


def counts_line(counts: Mapping[str, int]) -> str:
    """``a 3, b 1`` in key order, or ``none`` when empty."""
    parts = [f"{key} {value}" for key, value in sorted(counts.items()) if value]
    return ", ".join(parts) if parts else "none"


def states_line(nodes: Iterable[ModelRegistrationProjection]) -> str:
    """Nodes by state, every state shown: ``active 84, liveness_expired 5, deregistered 11``."""
    counts = dict.fromkeys(EnumRegistrationState, 0)
    for node in nodes:
        counts[node.state] += 1
    return ", ".join(f"{state.value} {count}" for state, count in counts.items())


def _location(dead_letter: ModelDeadLetter) -> str:
    if dead_letter.source is not None and dead_letter.line_number is not None:
        return f"{dead_letter.source}:{dead_letter.line_number}"
    if dead_letter.envelope_id is not None:
        return f"envelope {dead_letter.envelope_id}"
    return dead_letter.source or "-"


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
