"""Per-export apply locks: a second ``apply`` of the same export fails fast and names the holder.

The lock is an OS advisory lock (``fcntl.flock``) on ``.sync/locks/<export>.lock``; the
kernel drops it when the holding process dies, so a crashed run never leaves a stale lock.
The file's content says who holds it (user, host, pid, since) for the error message.

Scope: one machine (one workspace folder). Applies from CI are serialised by the workflow's
concurrency group; this lock covers people and schedulers on the same machine.
"""

from __future__ import annotations

import fcntl
import getpass
import json
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from engine.errors import LockError

from .files import private_folder


@contextmanager
def export_lock(state_dir: Path, export: str) -> Iterator[None]:
    """Hold the lock of ``export`` for the duration of the block, or raise LockError."""
    private_folder(state_dir)
    lock_dir = private_folder(state_dir / "locks")
    path = lock_dir / f"{export}.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LockError(
                f"export '{export}' is being applied by {_holder(path)}; wait for that run to "
                "finish (or stop it), then try again"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps(_me()).encode())
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _me() -> dict[str, object]:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid())
    return {
        "user": user,
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "since": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _holder(path: Path) -> str:
    try:
        info = json.loads(path.read_text() or "{}")
    except (OSError, ValueError):
        info = {}
    if not info:
        return "another process"
    return (
        f"{info.get('user')}@{info.get('host')} (pid {info.get('pid')}, since {info.get('since')})"
    )
