"""docs/registration.md stands alone and stays true: its tables of payload fields, emitted
events and lifecycle settings are checked against the models and against a real run, and no
tracked file points to a document outside the repository."""

from __future__ import annotations

import subprocess
from pathlib import Path

from omnibase_infra.enums import EnumLifecycleEventType
from omnibase_infra.nodes.node_registration_orchestrator.models import (
    ModelNodeHeartbeatEvent,
    ModelNodeIntrospectionEvent,
    ModelRegistrationLifecycle,
    ModelRuntimeTick,
)
from omnibase_infra.simulation import ServiceRegistrationDemo
from omnibase_infra.stores import open_store

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "registration.md").read_text(encoding="utf-8")


def _table(header: str) -> list[list[str]]:
    """The rows of the table whose header line starts with ``header`` (cells stripped)."""
    lines = DOC.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


def _names(cell: str) -> list[str]:
    """The backquoted names of a cell, before any parenthesis."""
    names = []
    for part in cell.split(","):
        text = part.split("(")[0].strip()
        if text.startswith("`") and text.endswith("`"):
            names.append(text.strip("`"))
    return names


def test_the_payload_table_lists_every_field_of_every_payload() -> None:
    documented: dict[str, list[str]] = {}
    model = ""
    for row in _table("| payload model | field |"):
        model = row[0].strip("`") or model
        documented.setdefault(model, []).append(row[1].strip("`"))
    models = (ModelNodeIntrospectionEvent, ModelNodeHeartbeatEvent, ModelRuntimeTick)
    assert documented == {m.__name__: list(m.model_fields) for m in models}


def test_the_settings_table_gives_every_setting_and_its_default() -> None:
    rows = {row[0].strip("`"): row[1].replace(",", "") for row in _table("| setting |")}
    fields = ModelRegistrationLifecycle.model_fields
    assert set(rows) == set(fields)
    for name, default in rows.items():
        assert float(default) == fields[name].default, name


def test_the_emitted_events_table_matches_what_a_run_emits(tmp_path: Path) -> None:
    rows = {row[0].strip("`"): row for row in _table("| `event_type` | `topic` |")}
    assert set(rows) == {t.value for t in EnumLifecycleEventType}
    for event_type in EnumLifecycleEventType:
        assert rows[event_type.value][1] == f"`{event_type.topic}`"
    url = f"sqlite:///{tmp_path / 'registry.db'}"
    ServiceRegistrationDemo(seed=11, nodes=40, minutes=12, store_url=url).run()
    store = open_store(url)
    try:
        seen = {event.event_type.value: list(event.data) for event in store.iter_events()}
    finally:
        store.close()
    assert len(seen) >= 5  # every type but the rare introspection request
    for name, fields in seen.items():
        assert _names(rows[name][2]) == fields, name


def test_no_tracked_file_points_to_an_outside_design_document() -> None:
    word = "DES" + "IGN"  # spelled in two parts so this file does not match itself
    tracked = subprocess.run(
        ["git", "grep", "-n", "-I", word], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert tracked.returncode in (0, 1), tracked.stderr
    assert tracked.stdout == ""
