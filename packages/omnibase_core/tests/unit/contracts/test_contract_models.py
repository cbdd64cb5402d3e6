"""A node's own contract sections, typed by its contract model: explicit and declared.

The declared case is real: each test writes a small distribution (a module and its
``*.dist-info`` with ``entry_points.txt``) into a folder put on ``sys.path``, exactly what an
installed package declaring ``[project.entry-points."onex.contract_models"]`` leaves behind.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, Field

from omnibase_core.cli.cli_onex import main
from omnibase_core.contracts import (
    CONTRACT_MODELS_GROUP,
    find_contract_model,
    load_contract,
    load_contract_text,
    problems_from_error,
)
from omnibase_core.enums import EnumCoreErrorCode
from omnibase_core.models.contracts import ModelContract, ModelContractProblem
from omnibase_core.models.errors import ModelOnexError


class ModelSampleLifecycle(BaseModel):
    """The section a sample node reads: seconds, a count and a mode."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    interval_seconds: float = Field(default=60.0, gt=0, allow_inf_nan=False)
    batch_size: int = Field(default=10, gt=0, le=1000, strict=True)
    mode: str = Field(default="fast", pattern="^(fast|safe)$")


class ModelSampleContract(ModelContract):
    """A contract model typing the ``lifecycle`` section."""

    lifecycle: ModelSampleLifecycle = Field(default_factory=ModelSampleLifecycle)


SECTION_FIELDS = list(ModelSampleLifecycle.model_fields)
NAME = "node_sample"


def contract_text(lifecycle: str = "  interval_seconds: 30\n  batch_size: 5\n") -> str:
    return (
        f"name: {NAME}\n"
        "contract_version: 1.0.0\n"
        "node_type: effect\n"
        "topics: {subscribed: [a.b]}\n"
        "lifecycle:\n"
        f"{lifecycle}"
    )


def only_problem(error: ModelOnexError) -> ModelContractProblem:
    assert error.error_code is EnumCoreErrorCode.CONTRACT_VALIDATION_ERROR
    (problem,) = problems_from_error(error)
    return problem


def problem_of(text: str, model: type[ModelContract] | None = None) -> ModelContractProblem:
    with pytest.raises(ModelOnexError) as caught:
        load_contract_text(text, source="c.yaml", model=model)
    return only_problem(caught.value)


# --- an explicit model --------------------------------------------------------------------------
def test_the_model_types_its_section_and_keeps_the_other_sections() -> None:
    contract = load_contract_text(contract_text(), model=ModelSampleContract)

    assert isinstance(contract, ModelSampleContract)
    assert contract.lifecycle == ModelSampleLifecycle(interval_seconds=30, batch_size=5)
    assert dict(contract.node_sections) == {"topics": {"subscribed": ["a.b"]}}


def test_a_missing_section_takes_the_model_defaults() -> None:
    text = contract_text().split("lifecycle:")[0]
    contract = load_contract_text(text, model=ModelSampleContract)
    assert contract.lifecycle == ModelSampleLifecycle()


def test_a_typo_in_the_section_is_located_with_a_hint() -> None:
    problem = problem_of(
        contract_text("  interval_seconds: 30\n  batch_sise: 5\n"), model=ModelSampleContract
    )
    assert (problem.path, problem.line, problem.column) == ("c.yaml", 7, 3)
    assert problem.field == "lifecycle.batch_sise"
    assert problem.message.startswith("unknown field")
    assert "did you mean 'batch_size'?" in problem.format()


@pytest.mark.parametrize(
    ("lifecycle", "field", "column", "fragment"),
    [
        ("  interval_seconds: soon\n", "lifecycle.interval_seconds", 21, "got 'soon'"),
        ("  interval_seconds: -1\n", "lifecycle.interval_seconds", 21, "greater than 0"),
        ("  interval_seconds: .inf\n", "lifecycle.interval_seconds", 21, "finite"),
        ("  batch_size: 5.5\n", "lifecycle.batch_size", 15, "valid integer"),
        ("  batch_size: true\n", "lifecycle.batch_size", 15, "valid integer"),
        ("  batch_size: 1001\n", "lifecycle.batch_size", 15, "less than or equal to 1000"),
        ("  mode: quick\n", "lifecycle.mode", 9, "should match pattern"),
    ],
)
def test_a_bad_value_in_the_section_is_located_at_the_value(
    lifecycle: str, field: str, column: int, fragment: str
) -> None:
    problem = problem_of(contract_text(lifecycle), model=ModelSampleContract)
    assert (problem.line, problem.column, problem.field) == (6, column, field)
    assert fragment in problem.message


def test_a_section_that_is_not_a_mapping_is_located() -> None:
    text = contract_text().split("lifecycle:")[0] + "lifecycle: [1, 2]\n"
    problem = problem_of(text, model=ModelSampleContract)
    assert (problem.line, problem.column, problem.field) == (5, 12, "lifecycle")


@given(
    field=st.sampled_from(SECTION_FIELDS),
    position=st.integers(min_value=0),
    letter=st.sampled_from("abcdefghijklmnopqrstuvwxyz_"),
    delete=st.booleans(),
    indent=st.integers(min_value=1, max_value=6),
)
def test_any_one_letter_typo_of_a_section_key_is_located_and_corrected(
    field: str, position: int, letter: str, delete: bool, indent: int
) -> None:
    at = position % len(field)
    typo = field[:at] + ("" if delete else letter) + field[at + 1 :]
    if typo in SECTION_FIELDS:
        return
    text = contract_text(f"{' ' * indent}{typo}: 1\n")
    with pytest.raises(ModelOnexError) as caught:
        load_contract_text(text, source="c.yaml", model=ModelSampleContract)
    problems = [p for p in problems_from_error(caught.value) if p.field == f"lifecycle.{typo}"]
    assert len(problems) == 1
    assert (problems[0].line, problems[0].column) == (6, indent + 1)
    assert f"did you mean {field!r}?" in problems[0].format()


def test_without_a_model_or_a_declaration_the_section_is_kept_as_written() -> None:
    contract = load_contract_text(contract_text("  batch_sise: 5\n"))
    assert type(contract) is ModelContract
    assert contract.node_sections["lifecycle"] == {"batch_sise": 5}


# --- a model declared through the entry-point group ---------------------------------------------
MODEL_MODULE = """
from pydantic import BaseModel, ConfigDict, Field
from omnibase_core.models.contracts import ModelContract


class ModelSampleLifecycle(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    interval_seconds: float = Field(default=60.0, gt=0)
    batch_size: int = Field(default=10, gt=0)


class ModelSampleContract(ModelContract):
    lifecycle: ModelSampleLifecycle = Field(default_factory=ModelSampleLifecycle)


NOT_A_MODEL = 42
"""

Declare = Callable[..., str]


@pytest.fixture
def declare(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Declare]:
    """Install a distribution declaring ``{contract name: target}`` in the group; returns the
    name of the module it ships (the sample contract model above)."""
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    modules: list[str] = []

    def install(declarations: dict[str, str], *, distribution: str = "sample-nodes") -> str:
        module = f"sample_nodes_{uuid.uuid4().hex[:8]}"
        modules.append(module)
        (site / f"{module}.py").write_text(MODEL_MODULE)
        info = site / f"{distribution.replace('-', '_')}-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {distribution}\nVersion: 1.0\n"
        )
        lines = [
            f"{name} = {target.format(module=module)}" for name, target in declarations.items()
        ]
        (info / "entry_points.txt").write_text(
            f"[{CONTRACT_MODELS_GROUP}]\n" + "\n".join(lines) + "\n"
        )
        return module

    yield install
    for module in modules:
        sys.modules.pop(module, None)


def test_a_declared_model_checks_the_section_of_a_contract_of_that_name(
    declare: Declare, tmp_path: Path
) -> None:
    module = declare({NAME: "{module}:ModelSampleContract"})
    good = tmp_path / "good.yaml"
    good.write_text(contract_text())
    bad = tmp_path / "bad.yaml"
    bad.write_text(contract_text("  interval_seconds: 30\n  batch_sise: 5\n"))

    contract = load_contract(good)
    with pytest.raises(ModelOnexError) as caught:
        load_contract(bad)

    assert type(contract).__module__ == module
    assert type(contract).__name__ == "ModelSampleContract"
    problem = only_problem(caught.value)
    assert (problem.path, problem.line, problem.column) == (str(bad), 7, 3)
    assert problem.field == "lifecycle.batch_sise"
    assert "did you mean 'batch_size'?" in problem.format()
    assert find_contract_model(NAME) is type(contract)
    assert find_contract_model("node_nobody_declares") is None


def test_onex_contract_validate_reports_the_typo_with_no_extra_flag(
    declare: Declare, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    declare({NAME: "{module}:ModelSampleContract"})
    bad = tmp_path / "bad.yaml"
    bad.write_text(contract_text("  interval_seconds: 30\n  batch_sise: 5\n"))

    status = main(["contract", "validate", str(bad)])

    assert status == 1
    expected = f"{bad}:7:3: lifecycle.batch_sise: unknown field; did you mean 'batch_size'?"
    assert expected in capsys.readouterr().out.splitlines()


def test_an_explicit_model_wins_over_the_declared_one(declare: Declare) -> None:
    declare({NAME: "{module}:NOT_A_MODEL"})
    contract = load_contract_text(contract_text(), model=ModelSampleContract)
    assert isinstance(contract, ModelSampleContract)


@pytest.mark.parametrize(
    ("target", "fragment"),
    [
        ("sample_nodes_missing_module:ModelSampleContract", "cannot be imported"),
        ("{module}:ModelMissing", "cannot be imported"),
        ("{module}:NOT_A_MODEL", "is not a subclass of ModelContract"),
    ],
)
def test_a_broken_declaration_is_one_problem_at_the_name(
    declare: Declare, target: str, fragment: str
) -> None:
    declare({NAME: target})
    problem = problem_of(contract_text())
    assert (problem.line, problem.column, problem.field) == (1, 7, "name")
    assert fragment in problem.message
    assert "sample-nodes 1.0" in problem.message
    with pytest.raises(ModelOnexError) as caught:
        find_contract_model(NAME)
    assert caught.value.error_code is EnumCoreErrorCode.CONFIGURATION_ERROR


def test_two_packages_declaring_different_models_for_one_name_are_refused(
    declare: Declare,
) -> None:
    declare({NAME: "{module}:ModelSampleContract"}, distribution="sample-nodes")
    declare({NAME: "{module}:ModelSampleContract"}, distribution="other-nodes")
    problem = problem_of(contract_text())
    assert "several packages declare a contract model for 'node_sample'" in problem.message
    assert "sample-nodes 1.0" in problem.message
    assert "other-nodes 1.0" in problem.message


def test_a_contract_without_a_usable_name_is_checked_as_a_plain_contract(
    declare: Declare,
) -> None:
    declare({NAME: "{module}:NOT_A_MODEL"})
    text = contract_text().replace(f"name: {NAME}\n", "name: [1]\n")
    problem = problem_of(text)
    assert (problem.line, problem.field) == (1, "name")
    assert "valid string" in problem.message
