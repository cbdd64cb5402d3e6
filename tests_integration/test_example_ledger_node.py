"""The ledger example: a second node, with its own contract, payloads, handlers, intent,
reasons and partition rule, on the generic engine, in every store; no registration code."""

from __future__ import annotations

import ast
import json
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from uuid import UUID, uuid5

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "packages/omnibase_infra/tests"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from examples.node_ledger_effect.models import BALANCE_KIND
from examples.node_ledger_effect.node import NodeLedgerEffect
from examples.node_ledger_effect.run_ledger import ledger_engine, main, run_ledger_file
from postgres_fixtures import postgres_fresh_url, postgres_server, postgres_url

from omnibase_core.enums import EnumCoreErrorCode
from omnibase_core.models.errors import ModelOnexError
from omnibase_infra.models import ModelPartition
from omnibase_infra.runtime import ServiceNodeEngine
from omnibase_infra.stores.protocol_record_store import ProtocolRecordStore
from omnibase_infra.stores.store_factory import open_store

__all__ = ["postgres_fresh_url", "postgres_server", "postgres_url"]

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples/node_ledger_effect"
ACCOUNTS = [UUID(int=n, version=4) for n in range(1, 5)]
NAMESPACE = UUID("6a1e2d3c-0000-4000-8000-000000000000")


def command(number: int, operation: str, account: UUID, amount: int) -> str:
    """One wire line of a ledger command with a deterministic envelope id."""
    return json.dumps(
        {
            "envelope_id": str(uuid5(NAMESPACE, str(number))),
            "envelope_timestamp": "2026-03-01T12:00:00Z",
            "topic": "onex.cmd.examples.ledger.v1",
            "payload_type": "ModelLedgerEntry",
            "operation": operation,
            "payload": {"account_id": str(account), "amount": amount, "reference": f"r{number}"},
        }
    )


def expected_balances(commands: list[tuple[str, int, int]]) -> dict[str, tuple[int, int]]:
    """The ledger's rule written plainly: credits add, debits subtract unless below zero."""
    balances: dict[str, tuple[int, int]] = {}
    for operation, account, amount in commands:
        key = str(ACCOUNTS[account])
        balance, entries = balances.get(key, (0, 0))
        if operation == "credit":
            balances[key] = (balance + amount, entries + 1)
        elif balance - amount >= 0:
            balances[key] = (balance - amount, entries + 1)
    return balances


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ProtocolRecordStore]:
    if request.param == "memory":
        opened = open_store("memory://")
    elif request.param == "sqlite":
        opened = open_store(f"sqlite:///{tmp_path / 'ledger.db'}")
    else:
        opened = open_store(request.getfixturevalue("postgres_fresh_url"))
    yield opened
    opened.close()


def test_a_file_of_commands_ends_in_the_expected_account_and_balances(
    store: ProtocolRecordStore, tmp_path: Path
) -> None:
    account = ACCOUNTS[0]
    lines = [
        command(1, "credit", account, 100),
        command(2, "debit", account, 30),
        command(2, "debit", account, 30),  # a redelivery
        command(3, "debit", account, 500),  # beyond the overdraft limit of 0
        command(4, "refund", account, 5),  # no handler for this operation
        "not json",
        command(5, "credit", account, 2_000_000),  # above the contract's max_amount
    ]
    path = tmp_path / "commands.jsonl"
    path.write_text("\n".join(lines) + "\n")

    summary, balances = run_ledger_file(path, store)

    assert (summary.applied, summary.ignored, summary.duplicates) == (2, 1, 1)
    assert summary.ignored_by_reason == {"insufficient_funds": 1}
    assert summary.dead_lettered_by_reason == {
        "unroutable": 1,
        "unparseable": 1,
        "invalid_payload": 1,
    }
    assert balances == [(str(account), {"balance": 70, "entries": 2, "last_reference": "r2"})]
    again, same = run_ledger_file(path, store, batch_size=1)
    # every envelope is a duplicate; the line without an envelope id is dead-lettered again
    # under the same deterministic id, so nothing is doubled
    assert (again.duplicates, again.dead_lettered_by_reason) == (6, {"unparseable": 1})
    assert same == balances


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    commands=st.lists(
        st.tuples(
            st.sampled_from(["credit", "debit"]),
            st.integers(0, len(ACCOUNTS) - 1),
            st.integers(1, 50),
        ),
        max_size=40,
    ),
    batch_size=st.integers(1, 7),
)
def test_any_command_stream_gives_the_plain_rule_s_balances_at_any_batch_size(
    commands: list[tuple[str, int, int]], batch_size: int
) -> None:
    lines = [
        command(number, op, ACCOUNTS[account], amount)
        for number, (op, account, amount) in enumerate(commands)
    ]
    store = open_store("memory://")
    with ledger_engine(store, batch_size=batch_size) as engine:
        summary, _ = engine.run_lines(lines, "commands.jsonl")
        replay, _ = engine.run_lines(lines, "commands.jsonl")
    found = {key: (doc["balance"], doc["entries"]) for key, doc in store.list_records(BALANCE_KIND)}
    assert found == expected_balances(commands)
    assert summary.applied == sum(entries for _balance, entries in found.values())
    assert replay.duplicates == len(lines)


def test_partitions_split_accounts_and_together_apply_everything_once(tmp_path: Path) -> None:
    lines = [command(n, "credit", ACCOUNTS[n % len(ACCOUNTS)], n + 1) for n in range(40)]
    store = open_store(f"sqlite:///{tmp_path / 'ledger.db'}")
    outcomes: Counter[str] = Counter()
    for index in range(2):
        engine = ServiceNodeEngine(
            store, NodeLedgerEffect.create(), partition=ModelPartition(index=index, count=2)
        )
        with engine:
            summary, _ = engine.run_lines(lines, "commands.jsonl")
        outcomes.update(applied=summary.applied, **summary.dead_lettered_by_reason)
    assert outcomes == Counter(applied=40, misrouted_partition=40)
    found = dict(store.list_records(BALANCE_KIND))
    assert sum(doc["balance"] for doc in found.values()) == sum(range(1, 41))
    store.close()


def test_a_typo_in_the_ledger_section_is_reported_at_its_line(tmp_path: Path) -> None:
    broken = tmp_path / "contract.yaml"
    text = (EXAMPLE / "contract.yaml").read_text()
    broken.write_text(text.replace("overdraft_limit: 0", "overdraft_limt: 0"))
    line = next(n for n, row in enumerate(text.splitlines(), 1) if "overdraft_limit" in row)
    with pytest.raises(ModelOnexError) as caught:
        NodeLedgerEffect.create(broken)
    assert caught.value.error_code is EnumCoreErrorCode.CONTRACT_VALIDATION_ERROR
    assert f"{broken}:{line}:" in caught.value.message
    assert "overdraft_limt" in caught.value.message


def test_the_entry_point_runs_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "commands.jsonl"
    path.write_text(command(1, "credit", ACCOUNTS[1], 9) + "\n")
    assert main([str(path), f"sqlite:///{tmp_path / 'ledger.db'}"]) == 0
    out = capsys.readouterr().out
    assert "1 commands: 1 applied" in out
    assert f"{ACCOUNTS[1]}  balance 9  entries 1" in out


def test_the_example_imports_no_registration_code() -> None:
    imported: list[str] = []
    for path in EXAMPLE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.append(node.module)
            elif isinstance(node, ast.Import):
                imported.extend(alias.name for alias in node.names)
    assert imported
    assert [name for name in imported if name.startswith("omnibase_infra.nodes")] == []
