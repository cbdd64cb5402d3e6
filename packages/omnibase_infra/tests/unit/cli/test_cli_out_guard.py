"""``run --out`` never overwrites the input, the SQLite store or the store's side files.

Every spelling of those files is refused (the same path, a relative path through other
folders, a symlink, a chain of symlinks, a dangling symlink, a hard link), whether the target
exists yet or not, with one line and exit status 2, before anything is opened for writing.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from omnibase_infra.cli.cli_registration import main
from omnibase_infra.simulation import ServiceClusterSimulator, ServiceWireStreamWriter

Spelling = Callable[[Path, Path], str]  # (target, scratch folder) -> what is passed as --out


def _same(target: Path, _scratch: Path) -> str:
    return str(target)


def _relative(target: Path, scratch: Path) -> str:
    # relative to the current folder, through another folder: ../scratch/../work/events.jsonl
    return f"../{scratch.name}/../{target.parent.name}/./sub/../{target.name}"


def _absolute_via_dots(target: Path, _scratch: Path) -> str:
    return str(target.parent / "." / "sub" / ".." / target.name)


def _symlink(target: Path, scratch: Path) -> str:
    link = scratch / f"link-to-{target.name}"
    link.symlink_to(target)
    return str(link)


def _symlink_chain(target: Path, scratch: Path) -> str:
    first = scratch / f"first-{target.name}"
    first.symlink_to(target)
    second = scratch / f"second-{target.name}"
    second.symlink_to(first)
    return str(second)


def _symlinked_folder(target: Path, scratch: Path) -> str:
    folder = scratch / "folder-link"
    folder.symlink_to(target.parent, target_is_directory=True)
    return str(folder / target.name)


def _hard_link(target: Path, scratch: Path) -> str:
    link = scratch / f"hard-{target.name}"
    os.link(target, link)
    return str(link)


SPELLINGS = [_same, _relative, _absolute_via_dots, _symlink, _symlink_chain, _symlinked_folder]
SPELLINGS += [_hard_link]
TARGETS = [
    "events.jsonl",
    "registry.db",
    "registry.db-wal",
    "registry.db-shm",
    "registry.db-journal",
]
DESCRIPTIONS = {
    "events.jsonl": "the input file",
    "registry.db": "the SQLite store",
    "registry.db-wal": "the SQLite store's write-ahead log",
    "registry.db-shm": "the SQLite store's shared-memory index",
    "registry.db-journal": "the SQLite store's rollback journal",
}


@pytest.fixture(scope="module")
def events(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A small input file's bytes."""
    path = tmp_path_factory.mktemp("input") / "events.jsonl"
    history = ServiceClusterSimulator(seed=2, nodes=4, minutes=5).simulate()
    ServiceWireStreamWriter().write(history.envelopes, path)
    return path.read_bytes()


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, events: bytes) -> Path:
    """A folder holding an input file, with ``sub/`` and a scratch folder; the current folder."""
    monkeypatch.delenv("ONEX_REGISTRATION_STORE", raising=False)
    folder = tmp_path / "work"
    (folder / "sub").mkdir(parents=True)
    (tmp_path / "scratch").mkdir()
    (folder / "events.jsonl").write_bytes(events)
    monkeypatch.chdir(folder)
    return folder


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


CASES = [
    pytest.param(spelling, target, exists, id=f"{spelling.__name__.strip('_')}-{target}-{state}")
    for spelling in SPELLINGS
    for target in TARGETS
    for exists, state in ((False, "new"), (True, "existing"))
    # a hard link needs an existing file; the input always exists
    if exists or (spelling is not _hard_link and target != "events.jsonl")
]


@pytest.mark.parametrize(("spelling", "target", "store_exists"), CASES)
def test_out_naming_a_protected_file_is_refused_before_anything_is_written(
    work: Path,
    capsys: pytest.CaptureFixture[str],
    spelling: Spelling,
    target: str,
    store_exists: bool,
) -> None:
    store = "sqlite:///registry.db?synchronous=full"  # relative, with an option run accepts
    if store_exists:
        assert main(["store", "migrate", "--store", store]) == 0
        for name in TARGETS:
            (work / name).touch()  # the side files, as a live store has them
        capsys.readouterr()
    out = spelling(work / target, work.parent / "scratch")
    before = _snapshot(work)

    status = main(["run", str(work / "events.jsonl"), "--store", store, "--out", out])

    err = capsys.readouterr().err.splitlines()
    assert status == 2
    assert len(err) == 1, err
    assert err[0].startswith(f"onex-registration: error: --out {out} is {DESCRIPTIONS[target]} ")
    assert "choose another --out file" in err[0]
    assert _snapshot(work) == before  # nothing created, truncated or written
    assert capsys.readouterr().out == ""


def test_a_file_beside_them_is_accepted(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for number, name in enumerate(("events.jsonl.out", "registry.db-wal2", "sub/registry.db")):
        store = f"sqlite:///registry-{number}.db"
        assert main(["run", "events.jsonl", "--store", store, "--out", name]) == 0
        assert (work / name).read_text().count("\n") > 0
    capsys.readouterr()


def test_standard_output_appended_to_the_input_is_refused(work: Path) -> None:
    before = (work / "events.jsonl").read_bytes()
    with (work / "events.jsonl").open("ab") as stdout:
        result = subprocess.run(
            [sys.executable, "-m", "omnibase_infra.cli", "run", "events.jsonl"],
            stdout=stdout,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            check=False,
        )

    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "onex-registration: error: standard output is the input file events.jsonl: writing "
        "there would destroy it; redirect it elsewhere"
    ]
    assert (work / "events.jsonl").read_bytes() == before
    assert not (work / "registration.db").exists()
