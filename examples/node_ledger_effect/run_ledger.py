"""Run the ledger node on a JSON-lines file, with no CLI: the engine, a store, the node.

    uv run python -m examples.node_ledger_effect.run_ledger commands.jsonl [memory://|sqlite:///x.db]

prints the run's account and each balance. :func:`run_ledger_file` is the same from Python.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from examples.node_ledger_effect.models import BALANCE_KIND
from examples.node_ledger_effect.node import NodeLedgerEffect

from omnibase_infra.runtime import ModelRunSummary, ServiceNodeEngine
from omnibase_infra.stores.protocol_record_store import ProtocolRecordStore
from omnibase_infra.stores.protocol_record_transaction import ProtocolRecordTransaction
from omnibase_infra.stores.store_factory import open_store


def ledger_engine(
    store: ProtocolRecordStore, *, batch_size: int = 500
) -> ServiceNodeEngine[ProtocolRecordTransaction]:
    """The generic engine running the ledger node over ``store`` (any store URL's store)."""
    return ServiceNodeEngine(store, NodeLedgerEffect.create(), batch_size=batch_size)


def run_ledger_file(
    path: Path, store: ProtocolRecordStore, *, batch_size: int = 500
) -> tuple[ModelRunSummary, list[tuple[str, dict[str, Any]]]]:
    """Apply every line of ``path`` to the ledger in ``store``; returns the run's summary and
    the committed balances (account id, record), ordered by account id.

    Raises ``OSError`` when the file cannot be read and ``ModelOnexError`` from the store.
    """
    with ledger_engine(store, batch_size=batch_size) as engine, path.open("rb") as stream:
        summary, _events = engine.run_stream(stream, str(path), collect_events=False)
    return summary, store.list_records(BALANCE_KIND)


def main(argv: list[str]) -> int:
    """``run_ledger FILE [STORE_URL]``: print the account and the balances; 2 on misuse."""
    if len(argv) not in (1, 2):
        print("usage: run_ledger FILE [STORE_URL]", file=sys.stderr)
        return 2
    store = open_store(argv[1] if len(argv) == 2 else "memory://")
    try:
        summary, balances = run_ledger_file(Path(argv[0]), store)
    finally:
        store.close()
    print(
        f"{summary.total} commands: {summary.applied} applied, {summary.ignored} ignored, "
        f"{summary.duplicates} duplicates, {summary.dead_lettered} dead-lettered"
    )
    for account, record in balances:
        print(f"{account}  balance {record['balance']}  entries {record['entries']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
