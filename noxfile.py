"""Every developer and CI entry point of the omnibase workspace.

Sessions sync the locked workspace (both packages editable, plus the ``dev`` group) into their
own virtualenv with ``uv sync``, so an edit to omnibase_core is seen by omnibase_infra at once.

    uv run nox                       # the tests (default)
    uv run nox -s tests -- -k routing
    uv run nox -s lint typecheck check_versions
    uv run nox -s bench
    uv run nox -s release -- 0.2.0
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
import tomllib
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import nox

ROOT = Path(__file__).parent
CORE = ROOT / "packages" / "omnibase_core"
INFRA = ROOT / "packages" / "omnibase_infra"
SOURCES = [str(CORE / "src"), str(INFRA / "src")]
#: What ``typecheck`` checks by default: the sources and the test suites kept strictly typed.
TYPECHECKED = [*SOURCES, str(CORE / "tests"), str(INFRA / "tests"), str(ROOT / "tests_integration")]
TEST_SUITES = {
    "core": [str(CORE / "tests")],
    "infra": [str(INFRA / "tests")],
    "integration": [str(ROOT / "tests_integration")],
}
#: Every suite runs on one worker per CPU core (at most 4); each test module stays on one
#: worker, with its fixtures. ``-- -n 0`` runs a suite in one process, easier to debug.
PARALLEL = ["--numprocesses=auto", "--maxprocesses=4", "--dist=loadfile"]
#: The failure matrix (marker ``live``) spends its time waiting on real processes and servers
#: (start-up, ack waits, takeovers), not on the CPU: four workers, any test on any worker.
LIVE_PARALLEL = ["--numprocesses=4", "--dist=load"]

nox.options.default_venv_backend = "uv"
nox.options.reuse_venv = "yes"
nox.options.sessions = ["tests"]
nox.options.error_on_external_run = True


def _sync(session: nox.Session) -> None:
    """Install the locked workspace into the session's virtualenv (editable packages)."""
    session.run_install(
        "uv",
        "sync",
        "--locked",
        "--all-packages",
        "--group",
        "dev",
        env={"UV_PROJECT_ENVIRONMENT": session.virtualenv.location},
        external=True,
        silent=True,
    )


def _pytest(
    session: nox.Session, suites: list[str], *extra: str, parallel: list[str] = PARALLEL
) -> None:
    """Run pytest once per suite: each package's tests stay independent of the others'."""
    _sync(session)
    args = session.posargs or []
    for suite in suites:
        session.run("pytest", *TEST_SUITES[suite], *parallel, *extra, *args)


@nox.session
def tests(session: nox.Session) -> None:
    """Core unit tests, infra unit tests and the cross-package integration tests, without the
    live failure matrix (``tests_live``): the loop to run all day."""
    _pytest(session, ["core", "infra", "integration"], "-m", "not live")


@nox.session(name="tests_live")
def tests_live(session: nox.Session) -> None:
    """The live failure matrix: real ``serve`` processes SIGKILLed, frozen and fenced, nats-server
    and PostgreSQL killed and restarted, each run compared with ``run`` (CI runs it too)."""
    _pytest(session, ["infra"], "-m", "live", parallel=LIVE_PARALLEL)


@nox.session(name="tests_core")
def tests_core(session: nox.Session) -> None:
    """omnibase_core's unit tests alone."""
    _pytest(session, ["core"])


@nox.session(name="tests_infra")
def tests_infra(session: nox.Session) -> None:
    """omnibase_infra's unit tests alone."""
    _pytest(session, ["infra"])


@nox.session(name="tests_integration")
def tests_integration(session: nox.Session) -> None:
    """The cross-package integration tests alone."""
    _pytest(session, ["integration"])


@nox.session(name="tests_postgres")
def tests_postgres(session: nox.Session) -> None:
    """Every test that needs PostgreSQL (the tests start their own server)."""
    _pytest(session, ["infra", "integration"], "-m", "postgres")


@nox.session(name="tests_nats")
def tests_nats(session: nox.Session) -> None:
    """Every test that needs nats-server (the tests start their own)."""
    _pytest(session, ["infra"], "-m", "nats")


@nox.session
def lint(session: nox.Session) -> None:
    """ruff: lint rules and formatting."""
    _sync(session)
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict on both packages' sources and on the typed test suites."""
    _sync(session)
    session.run("mypy", *(session.posargs or TYPECHECKED))


@nox.session
def bench(session: nox.Session) -> None:
    """The benchmarks: each reports ratios against a floor measured in the same run."""
    _sync(session)
    scripts = session.posargs or sorted(str(p) for p in (ROOT / "benchmarks").glob("bench_*.py"))
    for script in scripts:
        session.run("python", script)


# --- versions and releases ---------------------------------------------------------------------


def _read_versions(root: Path = ROOT) -> tuple[str, str, str]:
    """(core version, infra version, infra's pin on core) as written in the pyproject files."""
    packages = root / "packages"
    core = tomllib.loads((packages / "omnibase_core" / "pyproject.toml").read_text())["project"]
    infra = tomllib.loads((packages / "omnibase_infra" / "pyproject.toml").read_text())["project"]
    pins = [d for d in infra["dependencies"] if re.match(r"omnibase-core\b", d)]
    pin = pins[0] if len(pins) == 1 else ""
    exact = re.fullmatch(r"omnibase-core\s*==\s*([^\s,;]+)", pin)
    return core["version"], infra["version"], exact.group(1) if exact else f"<not exact: {pin!r}>"


def version_problems(root: Path = ROOT) -> list[str]:
    """What breaks lockstep in the workspace at ``root`` (empty when versions and pin agree)."""
    core, infra, pin = _read_versions(root)
    problems = []
    if core != infra:
        problems.append(f"omnibase-core is {core} but omnibase-infra is {infra}")
    if pin != core:
        problems.append(f"omnibase-infra pins omnibase-core=={pin} but omnibase-core is {core}")
    return problems


@nox.session(name="check_versions", venv_backend="none")
def check_versions(session: nox.Session) -> None:
    """Fail when the two packages' versions, or infra's exact pin on core, drift apart, or the
    changelog is malformed."""
    problems = version_problems()
    if problems:
        session.error(
            "lockstep versions drifted: "
            + "; ".join(problems)
            + "; run `uv run nox -s release -- X.Y.Z` to set all three together"
        )
    if problems := changelog_problems((ROOT / "CHANGELOG.md").read_text(), _read_versions()[0]):
        session.error("CHANGELOG.md: " + "; ".join(problems))
    session.run("uv", "lock", "--check", external=True)
    session.log(f"lockstep version {_read_versions()[0]}: core, infra and the pin agree")


# --- the changelog -------------------------------------------------------------------------------

UNRELEASED_HEADING = "## [Unreleased]"
_SECTION = re.compile(r"^## ")
_RELEASE_HEADING = re.compile(r"^## \[(\d+)\.(\d+)\.(\d+)\] - (\d{4}-\d{2}-\d{2})$")
_ENTRY = re.compile(r"^\s*[-*] \S")


def _sections(lines: list[str]) -> list[int]:
    """Indexes of the ``## `` section headings of a changelog's lines."""
    return [index for index, line in enumerate(lines) if _SECTION.match(line)]


def _version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def changelog_problems(text: str, version: str) -> list[str]:
    """What is wrong with the changelog ``text`` of a workspace at ``version`` (empty if none).

    The first section must be ``## [Unreleased]``; every other section a release
    ``## [X.Y.Z] - YYYY-MM-DD``, newest first, none newer than ``version``.
    """
    lines = text.splitlines()
    headings = [lines[index].rstrip() for index in _sections(lines)]
    if not headings or headings[0] != UNRELEASED_HEADING:
        return [f"the first section must be {UNRELEASED_HEADING!r} (found {headings[:1]})"]
    problems: list[str] = []
    released: list[tuple[int, ...]] = []
    for heading in headings[1:]:
        match = _RELEASE_HEADING.match(heading)
        if match is None:
            problems.append(f"{heading!r} is not a release heading '## [X.Y.Z] - YYYY-MM-DD'")
            continue
        released.append(tuple(int(part) for part in match.groups()[:3]))
    if released != sorted(set(released), reverse=True):
        problems.append("release sections must be newest first, each version once")
    if released and released[0] > _version_tuple(version):
        newest = ".".join(map(str, released[0]))
        problems.append(f"release {newest} is newer than the packages' version {version}")
    return problems


def changelog_release(text: str, version: str, date: str) -> str:
    """The changelog ``text`` with its Unreleased entries moved under ``## [version] - date``.

    The Unreleased section stays, empty, on top. Raises ``ValueError`` when the changelog is
    malformed (see :func:`changelog_problems`), records no change under Unreleased, or already
    has a release as new as ``version``.
    """
    lines = text.splitlines()
    newest_known = max(
        (match.groups()[:3] for line in lines if (match := _RELEASE_HEADING.match(line.rstrip()))),
        key=lambda parts: tuple(map(int, parts)),
        default=None,
    )
    if newest_known is not None and tuple(map(int, newest_known)) >= _version_tuple(version):
        raise ValueError(
            f"CHANGELOG.md already has release {'.'.join(newest_known)}; release a newer version "
            f"than {version}"
        )
    if problems := changelog_problems(text, version):
        raise ValueError("CHANGELOG.md: " + "; ".join(problems))
    sections = _sections(lines)
    start = sections[0]
    end = sections[1] if len(sections) > 1 else len(lines)
    body = lines[start + 1 : end]
    if not any(_ENTRY.match(line) for line in body):
        raise ValueError(
            "CHANGELOG.md records no change under '## [Unreleased]'; add the release's entries "
            "there first"
        )
    while body and not body[0].strip():
        body.pop(0)
    while body and not body[-1].strip():
        body.pop()
    released = [UNRELEASED_HEADING, "", f"## [{version}] - {date}", "", *body, ""]
    tail = lines[end:]
    return "\n".join([*lines[:start], *released, *tail]).rstrip("\n") + "\n"


def _set_version(version: str) -> None:
    for pyproject in (CORE / "pyproject.toml", INFRA / "pyproject.toml"):
        text = pyproject.read_text()
        text = re.sub(r'(?m)^version = "[^"]*"', f'version = "{version}"', text, count=1)
        text = re.sub(r'"omnibase-core==[^"]*"', f'"omnibase-core=={version}"', text)
        pyproject.write_text(text)


def _wheel_metadata(wheel: Path) -> str:
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        return archive.read(name).decode()


@nox.session(venv_backend="none")
def release(session: nox.Session) -> None:
    """Bump both packages to X.Y.Z, relock, build both wheels, smoke-install them and move the
    changelog's Unreleased entries under the new version.

    The wheels are built with ``--no-sources`` (as users will resolve them) into ``dist/`` and
    installed into a fresh virtualenv outside the workspace, where both CLIs must run.
    """
    if len(session.posargs) != 1 or not re.fullmatch(r"\d+\.\d+\.\d+", session.posargs[0]):
        session.error("usage: uv run nox -s release -- X.Y.Z (for example 0.2.0)")
    version = session.posargs[0]
    changelog = ROOT / "CHANGELOG.md"
    try:  # checked first, written last: a failed release can be re-run as it is
        released = changelog_release(
            changelog.read_text(), version, datetime.now(UTC).date().isoformat()
        )
    except ValueError as exc:
        session.error(str(exc))
    _set_version(version)
    if problems := version_problems():
        session.error("; ".join(problems))
    session.run("uv", "lock", external=True)
    dist = ROOT / "dist"
    shutil.rmtree(dist, ignore_errors=True)
    session.run(
        "uv", "build", "--all-packages", "--no-sources", "--out-dir", str(dist), external=True
    )
    wheels = sorted(dist.glob("*.whl"))
    core_wheel = next(w for w in wheels if w.name.startswith("omnibase_core-"))
    infra_wheel = next(w for w in wheels if w.name.startswith("omnibase_infra-"))
    core_meta, infra_meta = _wheel_metadata(core_wheel), _wheel_metadata(infra_wheel)
    if f"\nVersion: {version}\n" not in core_meta or f"\nVersion: {version}\n" not in infra_meta:
        session.error(f"wheel metadata does not carry version {version}")
    if f"Requires-Dist: omnibase-core=={version}" not in infra_meta:
        session.error(f"omnibase-infra's wheel does not pin omnibase-core=={version}")
    if (
        "\nLicense-File: LICENSE\n" not in core_meta
        or "\nLicense-File: LICENSE\n" not in infra_meta
    ):
        session.error("a wheel does not carry the LICENSE file")
    with tempfile.TemporaryDirectory(prefix="omnibase-release-") as scratch:
        venv = Path(scratch) / "venv"
        session.run("uv", "venv", "--python", sys.executable, str(venv), external=True)
        python = str(venv / "bin" / "python")
        session.run(
            *("uv", "pip", "install", "--python", python, str(core_wheel), str(infra_wheel)),
            external=True,
        )
        smoke = (
            "import importlib.metadata as m, omnibase_core.mixins, omnibase_infra; "
            f"assert m.version('omnibase-core') == m.version('omnibase-infra') == '{version}'; "
            "print('installed', m.version('omnibase-core'))"
        )
        session.run(python, "-c", smoke, external=True, env={"PYTHONPATH": ""})
        contract = next((INFRA / "src").rglob("contract.yaml"))
        bindir = venv / "bin"
        session.run(str(bindir / "onex"), "contract", "validate", str(contract), external=True)
        with session.chdir(scratch):  # outside the workspace: only the wheels' files exist
            session.run(
                *(str(bindir / "onex-registration"), "demo", "--nodes", "20", "--minutes", "5"),
                external=True,
                silent=True,
            )
    changelog.write_text(released)
    session.log(f"released {version}: {core_wheel.name}, {infra_wheel.name} in {dist}")
    session.log(f"CHANGELOG.md: the Unreleased entries are now under [{version}]")
    if os.environ.get("CI") != "true":
        session.log(f"commit the bump: git commit -am 'Release {version}' && git tag v{version}")
