"""load_contract on paths that are not readable regular files: one located error, no hang.

Every kind of non-regular file (FIFO, character device, socket, folder) and every OS error class
(missing, name too long, symbolic link loop, a file in the path, permission denied, NUL in the
path) gives ``ModelOnexError(FILE_NOT_FOUND)`` carrying one ``path:1:1`` problem.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from omnibase_core.contracts import load_contract, problems_from_error
from omnibase_core.enums import EnumCoreErrorCode
from omnibase_core.models.errors import ModelOnexError

VALID = "name: n\ncontract_version: 1.0.0\nnode_type: effect\n"


def _fifo(folder: Path) -> str:
    path = folder / "pipe.yaml"
    os.mkfifo(path)
    return str(path)


def _socket(folder: Path) -> Iterator[str]:
    # AF_UNIX paths are short: bind in a short temporary folder
    short = Path(tempfile.mkdtemp(prefix="onex"))
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(short / "s.yaml"))
    try:
        yield str(short / "s.yaml")
    finally:
        server.close()
        shutil.rmtree(short)


NOT_REGULAR: list[tuple[str, Callable[[Path], str], str]] = [
    ("fifo", _fifo, "it is a named pipe (FIFO)"),
    ("character device", lambda folder: "/dev/null", "it is a character device"),
    ("folder", lambda folder: str(folder), "it is a folder"),
]


def _single_problem(path: str) -> tuple[ModelOnexError, str]:
    with pytest.raises(ModelOnexError) as caught:
        load_contract(path)
    error = caught.value
    assert error.error_code is EnumCoreErrorCode.FILE_NOT_FOUND
    (problem,) = problems_from_error(error)
    assert (problem.path, problem.line, problem.column, problem.field) == (path, 1, 1, "")
    assert "\n" not in error.message
    assert repr(path) in error.message
    return error, problem.format()


@pytest.mark.timeout(30)
@pytest.mark.parametrize(("kind", "make", "fragment"), NOT_REGULAR, ids=[r[0] for r in NOT_REGULAR])
def test_non_regular_files_are_refused_without_reading(
    tmp_path: Path, kind: str, make: Callable[[Path], str], fragment: str
) -> None:
    path = make(tmp_path)
    _, line = _single_problem(path)  # a FIFO with no writer would block a plain open()
    assert f"not a regular file: {fragment}" in line


@pytest.mark.timeout(30)
def test_a_socket_is_refused(tmp_path: Path) -> None:
    for path in _socket(tmp_path):
        _, line = _single_problem(path)
        assert "not a regular file: it is a socket" in line


@pytest.mark.timeout(30)
def test_a_symlink_to_a_fifo_is_refused(tmp_path: Path) -> None:
    link = tmp_path / "link.yaml"
    link.symlink_to(_fifo(tmp_path))
    _, line = _single_problem(str(link))
    assert "named pipe" in line


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (lambda folder: str(folder / "absent.yaml"), "No such file or directory; check the path"),
        (lambda folder: str(folder / ("x" * 300 + ".yaml")), "File name too long; shorten"),
        (lambda folder: str(folder / "a.yaml" / "b.yaml"), "Not a directory; a folder in the"),
    ],
    ids=["missing", "name too long", "file in the path"],
)
def test_os_errors_are_one_located_line(
    tmp_path: Path, make: Callable[[Path], str], fragment: str
) -> None:
    (tmp_path / "a.yaml").write_text(VALID, encoding="utf-8")
    _, line = _single_problem(make(tmp_path))
    assert fragment in line


def test_symlink_loop_is_one_located_line(tmp_path: Path) -> None:
    (tmp_path / "one.yaml").symlink_to(tmp_path / "two.yaml")
    (tmp_path / "two.yaml").symlink_to(tmp_path / "one.yaml")
    _, line = _single_problem(str(tmp_path / "one.yaml"))
    assert "Too many levels of symbolic links; a symbolic link in the path" in line


def test_nul_in_the_path_is_one_located_line() -> None:
    _, line = _single_problem("bad\x00name.yaml")
    assert "the path is not valid" in line


PERMISSION_CHECK = """\
import sys
from omnibase_core.contracts import load_contract, problems_from_error
from omnibase_core.models.errors import ModelOnexError
try:
    load_contract(sys.argv[1])
except ModelOnexError as error:
    print(error.error_code.name)
    print(problems_from_error(error)[0].format())
"""


def _as_unprivileged() -> list[str]:
    """A prefix that makes file permissions bind: root keeps its uid (so a private checkout,
    such as one under a 0700 temporary folder, stays importable) but loses the capabilities
    that override read and search permissions."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: cannot drop privileges to test EACCES")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search"]


def test_permission_denied_is_one_located_line() -> None:
    folder = Path(tempfile.mkdtemp(prefix="onex-perm-"))
    try:
        folder.chmod(0o755)
        path = folder / "secret.yaml"
        path.write_text(VALID, encoding="utf-8")
        path.chmod(0o000)
        result = subprocess.run(
            [*_as_unprivileged(), sys.executable, "-c", PERMISSION_CHECK, str(path)],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
    finally:
        shutil.rmtree(folder)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "FILE_NOT_FOUND",
        f"{path}:1:1: cannot read the file: Permission denied; grant read permission on the "
        "file (and search permission on its folders)",
    ]


def test_a_regular_file_still_loads(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text(VALID, encoding="utf-8")
    assert load_contract(path).name == "n"
