"""Project files: the changelog rule of a release, the licence copies and the project URLs."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import given
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]
DATE = "2026-12-01"

_WORDS = st.text(alphabet="abcdefghij `.,()", min_size=1, max_size=30).map(str.strip)
_ENTRIES = st.lists(_WORDS.filter(bool).map(lambda text: f"- {text}"), max_size=4)
_VERSIONS = st.tuples(*(st.integers(0, 30) for _ in range(3)))


def _render(entries: list[str], releases: list[tuple[tuple[int, int, int], list[str]]]) -> str:
    lines = ["# Changelog", "", "Preamble text.", "", "## [Unreleased]", ""]
    if entries:
        lines += ["### Added", "", *entries, ""]
    for (major, minor, patch), body in releases:
        lines += [f"## [{major}.{minor}.{patch}] - 2026-01-0{1 + patch % 9}", "", *body, ""]
    return "\n".join(lines)


@st.composite
def changelogs(draw: st.DrawFn) -> tuple[str, list[str], list[tuple[int, int, int]]]:
    """A well-formed changelog, its Unreleased entries, and its releases newest first."""
    entries = draw(_ENTRIES)
    versions = sorted(draw(st.sets(_VERSIONS, max_size=3)), reverse=True)
    releases = [(version, draw(_ENTRIES.filter(bool))) for version in versions]
    return _render(entries, releases), entries, versions


def _version_tuple(version: str) -> tuple[int, int, int]:
    """``"1.2.3"`` as ``(1, 2, 3)``."""
    major, minor, patch = (int(part) for part in version.split("."))
    return major, minor, patch


def _newer(versions: list[tuple[int, int, int]], bump: int) -> str:
    major, minor, patch = versions[0] if versions else (0, 0, 0)
    return f"{major}.{minor}.{patch + bump}"


@given(changelog=changelogs(), bump=st.integers(1, 5))
def test_a_release_moves_the_unreleased_entries_and_keeps_everything_else(
    noxfile: ModuleType,
    changelog: tuple[str, list[str], list[tuple[int, int, int]]],
    bump: int,
) -> None:
    text, entries, versions = changelog
    version = _newer(versions, bump)
    if not entries:
        with pytest.raises(ValueError, match="records no change under"):
            noxfile.changelog_release(text, version, DATE)
        return

    released = noxfile.changelog_release(text, version, DATE)

    head, _, rest = released.partition("## [Unreleased]\n")
    assert head == text.partition("## [Unreleased]")[0]  # the preamble is untouched
    assert rest.startswith(f"\n## [{version}] - {DATE}\n\n### Added\n\n")
    new_section, _, older = rest.partition(f"## [{version}] - {DATE}\n")[2].partition("\n## ")
    assert [line for line in new_section.splitlines() if line.startswith("- ")] == entries
    assert text.rstrip("\n").endswith(older.rstrip("\n"))  # older releases are untouched
    assert noxfile.changelog_problems(released, version) == []
    with pytest.raises(ValueError, match="records no change under"):  # nothing left to release
        noxfile.changelog_release(released, _newer([_version_tuple(version)], 1), DATE)


@given(changelog=changelogs(), back=st.integers(0, 3))
def test_a_version_not_newer_than_the_last_release_is_refused(
    noxfile: ModuleType, changelog: tuple[str, list[str], list[tuple[int, int, int]]], back: int
) -> None:
    text, _entries, versions = changelog
    if not versions:
        return
    major, minor, patch = versions[0]
    version = f"{major}.{minor}.{max(0, patch - back)}"
    with pytest.raises(
        ValueError, match=re.escape(f"already has release {major}.{minor}.{patch};")
    ):
        noxfile.changelog_release(text, version, DATE)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("# Changelog\n\n## [0.1.0] - 2026-01-01\n\n- x\n", "first section must be"),
        ("# Changelog\n\nNo sections.\n", "first section must be"),
        ("## [Unreleased]\n\n- x\n\n## 0.1.0\n\n- y\n", "is not a release heading"),
        (
            "## [Unreleased]\n\n## [0.1.0] - 2026-01-01\n\n## [0.2.0] - 2026-02-01\n",
            "newest first",
        ),
        ("## [Unreleased]\n\n## [0.1.0] - 2026-01-01\n\n## [0.1.0] - 2026-01-01\n", "once"),
        ("## [Unreleased]\n\n## [0.3.0] - 2026-01-01\n", "newer than the packages' version 0.2.0"),
    ],
)
def test_malformed_changelogs_are_named(noxfile: ModuleType, text: str, problem: str) -> None:
    (found,) = noxfile.changelog_problems(text, "0.2.0")
    assert problem in found
    with pytest.raises(ValueError, match=r"CHANGELOG\.md"):
        noxfile.changelog_release(
            text.replace("## [Unreleased]\n", "## [Unreleased]\n- z\n"), "0.2.0", DATE
        )


def test_the_repository_changelog_is_well_formed(noxfile: ModuleType) -> None:
    text = (ROOT / "CHANGELOG.md").read_text()
    assert noxfile.changelog_problems(text, noxfile._read_versions()[0]) == []


def test_every_license_copy_is_the_repository_license() -> None:
    """Each package ships the repository's LICENSE in its wheel; the copies may not drift."""
    license_text = (ROOT / "LICENSE").read_text()
    assert license_text.startswith("MIT License")
    for package in ("omnibase_core", "omnibase_infra"):
        assert (ROOT / "packages" / package / "LICENSE").read_text() == license_text


def test_both_packages_link_the_same_repository_and_existing_files() -> None:
    urls = {
        package: tomllib.loads((ROOT / "packages" / package / "pyproject.toml").read_text())[
            "project"
        ]["urls"]
        for package in ("omnibase_core", "omnibase_infra")
    }
    core, infra = urls["omnibase_core"], urls["omnibase_infra"]
    assert core["Repository"] == infra["Repository"] == core["Homepage"] == infra["Homepage"]
    base = core["Repository"]
    for links in (core, infra):
        assert links["Issues"] == f"{base}/issues"
        for name in ("Documentation", "Changelog"):
            assert links[name].startswith(f"{base}/blob/main/"), name
            assert (ROOT / links[name].removeprefix(f"{base}/blob/main/")).is_file(), name
