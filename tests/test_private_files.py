"""Files that hold personal data are private and written crash-safe (engine.state.files)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.state.files import LEFTOVER_AGE_S, write_private


def test_a_written_file_is_owner_only_in_an_owner_only_folder(tmp_path: Path) -> None:
    target = tmp_path / "state" / "snap.bin"
    write_private(target, b"data")
    assert target.read_bytes() == b"data"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert stat.S_IMODE(target.parent.stat().st_mode) == 0o700


def test_replacing_keeps_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "plan.json"
    write_private(target, b"one")
    write_private(target, b"two")
    assert target.read_bytes() == b"two"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.json"]


def test_a_killed_writers_leftover_is_removed_and_a_live_ones_kept(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    left = tmp_path / f".plan.json.{dead.pid}.abc123"  # a run killed while saving
    left.write_bytes(b"half a plan")
    live = tmp_path / f".plan.json.{os.getppid()}.def456"  # a live process's save
    live.write_bytes(b"being written")
    old = tmp_path / ".plan.json.k2j4h5"  # an older version's name, no pid
    old.write_bytes(b"old")
    stale = time.time() - LEFTOVER_AGE_S - 5
    os.utime(old, (stale, stale))
    write_private(tmp_path / "plan.json", b"{}")
    assert not left.exists() and not old.exists() and live.exists()


def test_a_failed_write_leaves_the_old_file_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "snap.bin"
    write_private(target, b"old")

    def boom(*_args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        write_private(target, b"new")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["snap.bin"]
