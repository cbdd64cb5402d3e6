"""Every command reads ``--store`` by the same rule; ``demo --store`` wants an empty store."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from omnibase_core.models.errors import ModelOnexError
from omnibase_infra.cli.cli_registration import STORE_DEFAULT_HELP, main
from omnibase_infra.simulation import ServiceClusterSimulator, ServiceWireStreamWriter
from omnibase_infra.stores import StoreRegistrationSqlite, parse_store_url
from omnibase_infra.stores.store_factory import DEFAULT_STORE_URL, ENV_STORE_URL

READERS = [["nodes", "--json"], ["events", "--json"], ["dead-letters", "--json"]]


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv(ENV_STORE_URL, raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    history = ServiceClusterSimulator(seed=4, nodes=6, minutes=5).simulate()
    ServiceWireStreamWriter(malformed_fraction=0.05, seed=4).write(
        history.envelopes, tmp_path / "events.jsonl"
    )
    return tmp_path


# URL spellings `run` accepts for one file: scheme case, relative or absolute, the option.
def _spellings(folder: Path) -> list[str]:
    absolute = f"{folder}/data/registry.db"
    return [
        "sqlite:///data/registry.db",
        "sqlite:///data/registry.db?synchronous=full",
        "sqlite:///data/registry.db?synchronous=NORMAL",
        "SQLite:///data/./registry.db",
        f"sqlite:///{absolute}",
        f"sqlite:///{absolute}?synchronous=full",
        f"  sqlite:///{absolute}?synchronous=normal  ",
    ]


def test_every_command_reads_every_url_run_accepts_the_same_way(
    work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spellings = _spellings(work)
    assert main(["run", "events.jsonl", "--store", spellings[1], "--out", "out.jsonl"]) == 0
    capsys.readouterr()
    expected = {}
    for command in READERS:
        assert main([*command, "--store", spellings[0]]) == 0
        expected[command[0]] = capsys.readouterr().out
    assert all(expected.values())

    for url in spellings:
        for command in READERS:
            assert main([*command, "--store", url]) == 0, (url, command)
            assert capsys.readouterr().out == expected[command[0]], (url, command)
        assert main(["run", "events.jsonl", "--store", url, "--out", "again.jsonl"]) == 0
        assert main(["store", "migrate", "--store", url]) == 0
        capsys.readouterr()
    # every spelling opened the one file: no stray "registry.db?synchronous=full" beside it
    assert {p.name for p in (work / "data").iterdir()} <= {
        "registry.db",
        "registry.db-wal",
        "registry.db-shm",
    }


@pytest.mark.parametrize("command", [*READERS, ["nodes"], ["events"], ["dead-letters"]])
def test_a_missing_store_with_an_option_is_reported_not_created(
    work: Path, command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*command, "--store", "sqlite:///data/none.db?synchronous=full"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1
    assert err[0].startswith("onex-registration: error: no SQLite store at data/none.db ")
    assert not (work / "data" / "none.db").exists()


@pytest.mark.parametrize(
    "url", ["sqlite:///data/r.db?synchronous=off", "sqlite:///data/r.db?mode=ro", "sqlite://"]
)
@pytest.mark.parametrize("command", [["run", "events.jsonl"], *READERS, ["demo"]])
def test_a_url_run_refuses_is_refused_by_every_command_with_the_same_line(
    work: Path, url: str, command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(ModelOnexError) as info:
        parse_store_url(url)

    assert main([*command, "--store", url]) == 1

    assert capsys.readouterr().err == f"onex-registration: error: {info.value.message}\n"
    assert not (work / "data" / "r.db").exists()


_names = st.text(alphabet="abcxyz019-_.", min_size=1, max_size=12).filter(
    lambda name: name not in {".", ".."}
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    scheme=st.sampled_from(["sqlite", "SQLITE", "Sqlite"]),
    absolute=st.booleans(),
    folders=st.lists(st.sampled_from([".", "data/..", "./data/./.."]), max_size=2),
    name=_names,
    option=st.sampled_from(["", "?synchronous=full", "?synchronous=normal", "?synchronous=FULL"]),
)
def test_the_parsed_file_is_the_file_the_store_opens(
    work: Path, scheme: str, absolute: bool, folders: list[str], name: str, option: str
) -> None:
    path = "/".join([*folders, "data", name])
    if absolute:
        path = f"{work}/{path}"
    url = f"{scheme}:///{path}{option}"

    parsed = parse_store_url(url)
    store = StoreRegistrationSqlite(url)
    store.close()

    assert parsed.scheme == "sqlite"
    assert parsed.sqlite_path is not None
    assert os.path.exists(parsed.sqlite_path)
    assert os.path.samefile(parsed.sqlite_path, work / "data" / name)
    os.remove(parsed.sqlite_path)


def test_demo_refuses_a_store_that_holds_data(
    work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = "sqlite:///data/registry.db?synchronous=full"
    assert main(["run", "events.jsonl", "--store", url, "--out", "out.jsonl"]) == 0
    capsys.readouterr()
    before = (work / "data" / "registry.db").stat().st_size
    events_before = main(["events", "--json", "--store", url]), capsys.readouterr().out

    assert main(["demo", "--nodes", "5", "--minutes", "5", "--store", url]) == 2

    captured = capsys.readouterr()
    assert captured.out == ""
    err = captured.err.splitlines()
    assert len(err) == 1
    assert err[0].startswith(f"onex-registration: error: the store {url} already holds data (")
    assert "needs an empty store" in err[0]
    assert (work / "data" / "registry.db").stat().st_size == before
    assert (main(["events", "--json", "--store", url]), capsys.readouterr().out) == events_before


def test_demo_runs_on_a_new_store_given_with_an_option(
    work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = "sqlite:///data/demo.db?synchronous=full"

    assert main(["demo", "--seed", "3", "--nodes", "6", "--minutes", "5", "--store", url]) == 0

    assert "All invariants hold." in capsys.readouterr().out
    assert main(["nodes", "--json", "--store", url]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 6


def test_the_help_names_the_real_default() -> None:
    assert f"${ENV_STORE_URL}, else {DEFAULT_STORE_URL}" == STORE_DEFAULT_HELP
