"""docs/operations.md's metrics table stays true: it lists exactly the metrics the service
exposes, each with its type and labels."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from omnibase_infra.runtime.service_serve_metrics import ServiceServeMetrics

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")


def _documented() -> dict[str, tuple[str, set[str]]]:
    lines = DOC.splitlines()
    start = lines.index("| metric | type | labels | meaning | alert on |")
    rows: dict[str, tuple[str, set[str]]] = {}
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        name, kind, labels, *_ = (cell.strip() for cell in line.strip().strip("|").split("|"))
        bare = re.sub(r"\([^)]*\)", "", labels)  # drop the listed values: kind (`a`, `b`)
        label_names = {part.strip().strip("`") for part in bare.split(",")}
        rows[name.strip("`")] = (kind, label_names - {""})
    return rows


def _exposed() -> dict[str, tuple[str, set[str]]]:
    metrics = ServiceServeMetrics(process_metrics=False)
    metrics.record_messages("applied")
    metrics.record_redeliveries(0)
    metrics.set_pending(0, 1)
    metrics.record_tick(0, datetime.now(UTC))
    exposed: dict[str, tuple[str, set[str]]] = {}
    for family in text_string_to_metric_families(metrics.render().decode()):
        if family.name.endswith("_created") or family.type == "unknown":
            continue
        name = family.name + ("_total" if family.type == "counter" else "")
        labels = {k for sample in family.samples for k in sample.labels} - {"le"}
        exposed[name] = (family.type, labels)
    return exposed


def test_the_metrics_table_lists_every_metric_with_its_type_and_labels() -> None:
    assert _documented() == _exposed()
