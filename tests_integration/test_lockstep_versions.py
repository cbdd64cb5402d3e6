"""The lockstep rule: both packages carry one version and infra pins core to exactly it."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    for package in ("omnibase_core", "omnibase_infra"):
        target = tmp_path / "packages" / package
        target.mkdir(parents=True)
        shutil.copy(ROOT / "packages" / package / "pyproject.toml", target / "pyproject.toml")
    return tmp_path


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_the_repository_is_in_lockstep(noxfile: ModuleType) -> None:
    assert noxfile.version_problems() == []


def test_a_hand_edited_core_version_is_caught(noxfile: ModuleType, workspace: Path) -> None:
    core = workspace / "packages/omnibase_core/pyproject.toml"
    version = noxfile._read_versions(workspace)[0]
    _edit(core, f'version = "{version}"', 'version = "99.0.0"')
    problems = noxfile.version_problems(workspace)
    assert f"omnibase-core is 99.0.0 but omnibase-infra is {version}" in problems
    assert f"omnibase-infra pins omnibase-core=={version} but omnibase-core is 99.0.0" in problems


def test_a_loosened_pin_is_caught(noxfile: ModuleType, workspace: Path) -> None:
    infra = workspace / "packages/omnibase_infra/pyproject.toml"
    version = noxfile._read_versions(workspace)[0]
    _edit(infra, f'"omnibase-core=={version}"', f'"omnibase-core>={version}"')
    (problem,) = noxfile.version_problems(workspace)
    assert "not exact" in problem
