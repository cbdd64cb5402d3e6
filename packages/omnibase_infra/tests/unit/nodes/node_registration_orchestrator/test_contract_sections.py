"""The registration contract's ``lifecycle`` section is checked wherever the contract is read:
by ``onex contract validate`` (no flag: the model is declared for the contract's name), by
``load_contract``, by the node and by the runtime at start-up, with the same located line."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from omnibase_core.contracts import find_contract_model, load_contract, problems_from_error
from omnibase_core.models.errors import ModelOnexError
from omnibase_infra.nodes.node_registration_orchestrator.models import ModelRegistrationContract
from omnibase_infra.nodes.node_registration_orchestrator.node import (
    NodeRegistrationOrchestrator,
)
from omnibase_infra.nodes.node_registration_orchestrator.service_registration_runtime import (
    ServiceRegistrationRuntime,
)
from omnibase_infra.stores.store_registration_memory import StoreRegistrationMemory

CONTRACT = NodeRegistrationOrchestrator.DEFAULT_CONTRACT_PATH


def _with_typo(tmp_path: Path) -> tuple[Path, str]:
    """A copy of the contract with ``expiry_batch_sise``, and the line the validator prints."""
    bad = tmp_path / "contract.yaml"
    text = CONTRACT.read_text().replace("expiry_batch_size:", "expiry_batch_sise:")
    bad.write_text(text)
    line = 1 + [row.strip().split(":")[0] for row in text.splitlines()].index("expiry_batch_sise")
    expected = (
        f"{bad}:{line}:3: lifecycle.expiry_batch_sise: unknown field; "
        "did you mean 'expiry_batch_size'?"
    )
    return bad, expected


def _validate(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "omnibase_core.cli", "contract", "validate", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": ""},
    )


def test_the_contract_model_is_declared_for_the_contract_name() -> None:
    assert find_contract_model("node_registration_orchestrator") is ModelRegistrationContract
    assert isinstance(load_contract(CONTRACT), ModelRegistrationContract)


def test_onex_contract_validate_reports_a_lifecycle_typo_with_its_line_and_a_hint(
    tmp_path: Path,
) -> None:
    bad, expected = _with_typo(tmp_path)

    done = _validate(CONTRACT, bad)

    assert done.returncode == 1, done.stderr
    assert done.stderr == ""
    assert expected in done.stdout.splitlines()
    assert any(line.startswith(f"{CONTRACT}: ok") for line in done.stdout.splitlines())


@pytest.mark.parametrize(
    ("old", "new", "field", "fragment"),
    [
        ("liveness_window_seconds: 90", "liveness_window_seconds: 100000.5", "window", "less than"),
        ("max_clock_skew_seconds: 30", "max_clock_skew_seconds: '30'", "skew", "valid number"),
        ("expiry_batch_size: 1000", "expiry_batch_size: 0", "batch_size", "greater than 0"),
        ("liveness_interval_seconds: 60", "liveness_interval_seconds: .nan", "interval", "finite"),
    ],
)
def test_a_bad_lifecycle_value_is_located_at_the_value(
    tmp_path: Path, old: str, new: str, field: str, fragment: str
) -> None:
    bad = tmp_path / "contract.yaml"
    bad.write_text(CONTRACT.read_text().replace(old, new))
    with pytest.raises(ModelOnexError) as caught:
        load_contract(bad)
    (problem,) = problems_from_error(caught.value)
    assert field in problem.field
    assert problem.field.startswith("lifecycle.")
    assert problem.column == len(new.split(":")[0]) + 5  # two spaces, the key, ": "
    assert fragment in problem.message


def test_the_node_and_the_runtime_refuse_to_start_with_the_same_line(tmp_path: Path) -> None:
    bad, expected = _with_typo(tmp_path)
    starts: dict[str, Callable[[], object]] = {
        "load_contract": lambda: load_contract(bad),
        "settings": lambda: NodeRegistrationOrchestrator.load_settings(bad),
        "runtime": lambda: ServiceRegistrationRuntime(StoreRegistrationMemory(), contract_path=bad),
    }
    for name, start in starts.items():
        with pytest.raises(ModelOnexError) as caught:
            start()
        assert [p.format() for p in problems_from_error(caught.value)] == [expected], name
        assert expected in caught.value.message.splitlines(), name
