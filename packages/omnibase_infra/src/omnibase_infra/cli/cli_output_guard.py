"""Keep ``run --out`` away from the files the run reads and the store writes.

Opening ``--out`` truncates it. Were it the input, the input would be empty before the first
line is read; were it the SQLite database or one of its side files, the registry would be
corrupted. The check compares file identities, not names, so a symlink, a hard link, a
relative path or ``..`` cannot get around it, and it also holds for an ``--out`` that does not
exist yet but would be created as one of those files.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence

#: ``(description, path)`` of a file ``--out`` must not be; an ``int`` is an open descriptor
#: (standard input), compared when it is a regular file.
ProtectedFile = tuple[str, str | int]
_Identity = tuple[object, ...]


def output_conflict(
    out: str, protected: Sequence[ProtectedFile], *, stdout_fd: int | None = None
) -> str | None:
    """What ``out`` would overwrite among ``protected``, as a phrase; ``None`` when it is safe.

    ``out`` is a path, or ``-`` for standard output: then the file behind ``stdout_fd`` is
    compared when it is a regular file (``run events.jsonl >> events.jsonl``). Two paths name
    the same file when they have the same device and inode (symlinks and hard links resolved)
    or, for files that do not exist yet, when they resolve to the same name in the same folder.
    Raises nothing: a path that cannot be examined is compared by its resolved name only.
    """
    if out == "-":
        if stdout_fd is None:
            return None
        target = _fd_identity(stdout_fd)
        if target is None:
            return None
        name = "standard output"
    else:
        target = _path_identity(out)
        name = f"--out {out}"
    for description, where in protected:
        if isinstance(where, int):
            if _fd_identity(where) == target:
                return f"{name} is {description}"
        elif _path_identity(where) == target:
            return f"{name} is {description} {where}"
    return None


def _fd_identity(fd: int) -> _Identity | None:
    try:
        info = os.fstat(fd)
    except OSError:
        return None
    if not stat.S_ISREG(info.st_mode):
        return None  # a terminal, a pipe: nothing there to destroy
    return ("inode", info.st_dev, info.st_ino)


def _path_identity(path: str) -> _Identity:
    """Device and inode of the file at ``path`` (links followed) or, when there is none yet,
    device and inode of the folder it would be created in and its resolved name."""
    try:
        info = os.stat(path)
    except (OSError, ValueError):
        pass
    else:
        return ("inode", info.st_dev, info.st_ino)
    resolved = os.path.realpath(path)
    folder, name = os.path.split(resolved)
    try:
        info = os.stat(folder)
    except (OSError, ValueError):
        return ("path", resolved)
    return ("entry", info.st_dev, info.st_ino, name)
