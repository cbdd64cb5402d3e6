"""Reading a contract file's bytes: regular files only, never blocking, one located error."""

from __future__ import annotations

import errno
import os
import stat
from typing import Final

from omnibase_core.contracts.contract_errors import build_contract_error
from omnibase_core.contracts.yaml_position_loader import YamlPositionLoader
from omnibase_core.enums.enum_core_error_code import EnumCoreErrorCode
from omnibase_core.models.contracts.model_contract_problem import ModelContractProblem
from omnibase_core.models.errors.model_onex_error import ModelOnexError

_CHUNK: Final = 1 << 16
#: ``os.open`` flags: never block on a FIFO or device, never adopt a terminal, close on exec.
_OPEN_FLAGS: Final = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_CLOEXEC", 0)
)
_KINDS: Final = (
    (stat.S_ISDIR, "a folder", "name a contract file (onex contract validate reads folders)"),
    (stat.S_ISFIFO, "a named pipe (FIFO)", "contracts are read from regular files"),
    (stat.S_ISCHR, "a character device", "contracts are read from regular files"),
    (stat.S_ISBLK, "a block device", "contracts are read from regular files"),
    (stat.S_ISSOCK, "a socket", "contracts are read from regular files"),
)
_HINTS: Final = {
    errno.ENOENT: "check the path",
    errno.ENOTDIR: "a folder in the path is a file; check the path",
    errno.ENAMETOOLONG: "shorten the path",
    errno.ELOOP: "a symbolic link in the path points back at itself; fix or remove it",
    errno.EACCES: "grant read permission on the file (and search permission on its folders)",
    errno.EPERM: "grant read permission on the file",
}


def read_contract_file(path: str | os.PathLike[str], loader: YamlPositionLoader) -> bytes:
    """The bytes of the regular file at ``path``, at most ``loader.max_bytes + 1`` of them.

    The path is checked with ``os.stat`` before it is opened and again with ``os.fstat``
    after, and it is opened non-blocking: a FIFO, a device, a socket or a folder is refused
    at once, never read (so nothing hangs).

    Raises ``ModelOnexError(FILE_NOT_FOUND)`` when ``path`` is not a readable regular file
    (missing, not regular, name too long, symbolic link loop, permission denied, I/O error);
    its ``context["problems"]`` holds the one located problem (``path:1:1``) and its message
    is that problem on one line. Raises ``ModelOnexError(CONTRACT_VALIDATION_ERROR)`` when the
    file is larger than ``loader.max_bytes``.
    """
    source = os.fspath(path)
    try:
        _check_regular(os.stat(source), source)
        descriptor = os.open(source, _OPEN_FLAGS)
    except OSError as exc:
        raise _unreadable(source, exc) from None
    except ValueError as exc:  # e.g. an embedded NUL character
        raise _error(source, f"the path is not valid ({exc})", "check the path") from None
    try:
        info = os.fstat(descriptor)
        _check_regular(info, source)  # it may have been swapped after the first check
        loader.check_size(info.st_size, source)
        return _read_at_most(descriptor, loader.max_bytes + 1)
    except OSError as exc:
        raise _unreadable(source, exc) from None
    finally:
        os.close(descriptor)


def _check_regular(info: os.stat_result, source: str) -> None:
    if stat.S_ISREG(info.st_mode):
        return
    for test, kind, hint in _KINDS:
        if test(info.st_mode):
            raise _error(source, f"not a regular file: it is {kind}", hint)
    raise _error(source, "not a regular file", "contracts are read from regular files")


def _read_at_most(descriptor: int, limit: int) -> bytes:
    chunks: list[bytes] = []
    remaining = limit
    while remaining > 0:
        chunk = os.read(descriptor, min(remaining, _CHUNK))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _unreadable(source: str, exc: OSError) -> ModelOnexError:
    reason = exc.strerror or str(exc)
    return _error(source, f"cannot read the file: {reason}", _HINTS.get(exc.errno or 0, ""))


def _error(source: str, message: str, hint: str) -> ModelOnexError:
    problem = ModelContractProblem(path=source, line=1, column=1, message=message, hint=hint)
    located = build_contract_error("load_contract", source, [problem])
    text = f"{message}; {hint}" if hint else message
    return ModelOnexError(
        f"load_contract: contract file {source!r}: {text}",
        EnumCoreErrorCode.FILE_NOT_FOUND,
        dict(located.context),
    )
