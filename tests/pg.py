"""A real PostgreSQL server for the tests: initdb in a temporary folder, started on loopback.

Loaded as a pytest plugin by ``tests/conftest.py``. The server binaries are found under
``/usr/lib/postgresql/*/bin`` (Debian's package; ``.ci/run`` installs it when missing), on
PATH, or in the folder named by ``SYNC_TEST_PG_BIN``. PostgreSQL refuses to run as root, so
under root (CI) the server runs as the ``postgres`` system user. If the server cannot be
started, every test using it FAILS with the reason: a database test that silently skips
would hide a broken setup.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

PASSWORD = "s3cret-test-Password"
PASSWORD_ENV = "SYNC_TEST_PG_PASSWORD"
ADMIN = "sync_admin"
DATABASE = "cdp"
START_TIMEOUT = 30.0
BIN_ENV = "SYNC_TEST_PG_BIN"  # optional: the folder of initdb/postgres, if not Debian's


@dataclass(frozen=True, slots=True)
class PostgresServer:
    host: str
    port: int
    user: str
    password: str
    database: str

    def url(self, password: str = f"${{env:{PASSWORD_ENV}}}") -> str:
        """A source URL; by default the password is a deferred env reference, as in manifests."""
        return f"postgresql://{self.user}:{password}@{self.host}:{self.port}/{self.database}"

    @property
    def environ(self) -> dict[str, str]:
        return {PASSWORD_ENV: self.password}

    def connect(self, database: str | None = None) -> psycopg.Connection[tuple[object, ...]]:
        """An autocommit superuser connection, for loading test data."""
        return psycopg.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            dbname=database or self.database,
            autocommit=True,
        )


def _binaries() -> Path:
    override = os.environ.get(BIN_ENV)
    if override:
        if not (Path(override) / "initdb").exists():
            pytest.fail(f"{BIN_ENV}={override}: no initdb there", pytrace=False)
        return Path(override)
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name)
    )
    for folder in reversed(candidates):
        if (Path(folder) / "initdb").exists():
            return Path(folder)
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    pytest.fail(
        "PostgreSQL server binaries not found (looked in /usr/lib/postgresql/*/bin and on "
        "PATH): install the 'postgresql' package (.ci/run does it with apt-get)",
        pytrace=False,
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_user() -> dict[str, object]:
    """Popen arguments that drop root to the ``postgres`` user (postgres refuses root)."""
    if os.geteuid() != 0:
        return {}
    try:
        account = pwd.getpwnam("postgres")
    except KeyError:
        pytest.fail(
            "running as root, and there is no 'postgres' user to run the PostgreSQL server "
            "as (PostgreSQL refuses to run as root); install the 'postgresql' package",
            pytrace=False,
        )
    return {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}


def _chown_tree(path: Path, drop: dict[str, object]) -> None:
    if drop:
        uid, gid = int(drop["user"]), int(drop["group"])  # type: ignore[call-overload]
        for item in [path, *path.rglob("*")]:
            os.chown(item, uid, gid)


def _initdb(bin_dir: Path, folder: Path, drop: dict[str, object]) -> None:
    pwfile = folder / "pwfile"
    pwfile.write_text(PASSWORD + "\n")
    _chown_tree(folder, drop)
    result = subprocess.run(
        [
            str(bin_dir / "initdb"),
            "-D", str(folder / "data"), "-U", ADMIN, f"--pwfile={pwfile}",
            "--auth-host=scram-sha-256", "--auth-local=trust", "-E", "UTF8", "--locale=C",
        ],
        cwd=folder, capture_output=True, text=True, check=False, **drop,  # type: ignore[arg-type]
    )  # fmt: skip
    pwfile.unlink()
    if result.returncode != 0:
        pytest.fail(f"initdb failed:\n{result.stdout}\n{result.stderr}", pytrace=False)


def _wait_ready(server: PostgresServer, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if process.poll() is not None:
            pytest.fail(
                f"the PostgreSQL server exited at start (code {process.returncode}):\n"
                f"{log.read_text(errors='replace')[-3000:]}",
                pytrace=False,
            )
        try:
            server.connect("postgres").close()
            return
        except psycopg.OperationalError as exc:
            if time.monotonic() > deadline:
                pytest.fail(
                    f"the PostgreSQL server did not accept connections in {START_TIMEOUT:.0f} s: "
                    f"{exc}\n{log.read_text(errors='replace')[-3000:]}",
                    pytrace=False,
                )
            time.sleep(0.1)


@contextlib.contextmanager
def running_server() -> Iterator[PostgresServer]:
    """initdb + postgres on a free loopback port; stopped and deleted afterwards."""
    bin_dir = _binaries()
    drop = _as_user()
    folder = Path(tempfile.mkdtemp(prefix="sync-test-pg-"))
    process: subprocess.Popen[bytes] | None = None
    try:
        _initdb(bin_dir, folder, drop)
        server = PostgresServer("127.0.0.1", _free_port(), ADMIN, PASSWORD, DATABASE)
        log = folder / "server.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [
                    str(bin_dir / "postgres"), "-D", str(folder / "data"),
                    "-p", str(server.port), "-k", str(folder),
                    "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
                    "-c", "full_page_writes=off", "-c", "synchronous_commit=off",
                ],
                cwd=folder, stdout=out, stderr=subprocess.STDOUT, **drop,  # type: ignore[arg-type]
            )  # fmt: skip
        _wait_ready(server, process, log)
        with server.connect("postgres") as admin:
            admin.execute(f"CREATE DATABASE {DATABASE}")
        yield server
    finally:
        if process is not None:
            process.send_signal(signal.SIGINT)  # fast shutdown: ends open sessions
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A real PostgreSQL server for the whole session (fails the test if it cannot start)."""
    with running_server() as server:
        yield server
