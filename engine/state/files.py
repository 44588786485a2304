"""Writing files that hold personal data: private (0600, folders 0700) and crash-safe.

- :func:`write_private` replaces a file atomically: a temporary file beside it (created
  0600), fsynced, renamed over it, the folder fsynced. A crash (SIGKILL included) leaves the
  old file or the new one, never half of one. A temporary file is named after the process
  writing it (``.<name>.<pid>.<random>``), so the next write of that file removes those of
  processes that are gone (a killed run's) and leaves another live process's write alone.
- :func:`append_private` appends one line in one write and fsyncs it (the run history).
- :func:`private_folder` creates a folder 0700 (and tightens an existing one).
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

TEMP_PREFIX = "."
"""Temporary files are ``.<name>.<pid>.<random>`` beside the file they become."""

LEFTOVER_AGE_S = 60.0
"""A temporary file without a writer's pid (an older version's) is a leftover at this age."""


def private_folder(path: Path) -> Path:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


def write_private(path: Path, data: bytes, *, folder_private: bool = True) -> None:
    """Replace ``path`` with ``data`` atomically, readable by its owner only."""
    if folder_private:
        private_folder(path.parent)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
    remove_leftovers(path)
    prefix = f"{TEMP_PREFIX}{path.name}.{os.getpid()}."
    fd, tmp = tempfile.mkstemp(prefix=prefix, dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)


def append_private(path: Path, line: str) -> None:
    """Append ``line`` (with its newline) in one write; the file is 0600."""
    private_folder(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, line.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_leftovers(path: Path) -> None:
    """Temporary files of ``path`` left by runs killed while writing it."""
    start = len(f"{TEMP_PREFIX}{path.name}.")
    for leftover in path.parent.glob(f"{TEMP_PREFIX}{path.name}.*"):
        pid = leftover.name[start:].partition(".")[0]
        try:
            if pid.isdigit() and _alive(int(pid)):
                continue  # being written right now
            if not pid.isdigit() and leftover.stat().st_mtime > time.time() - LEFTOVER_AGE_S:
                continue
            leftover.unlink()
        except FileNotFoundError:
            pass


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
