"""A real MariaDB server for the tests: mariadb-install-db in a temporary folder, on loopback.

Loaded as a pytest plugin by ``tests/conftest.py``, like ``tests/pg.py``. The binaries
(``mariadb-install-db``, ``mariadbd``) come from Debian's ``mariadb-server`` package
(``.ci/run`` installs it when missing) and are found on PATH, in ``/usr/sbin``, or in the
folder named by ``SYNC_TEST_MARIADB_BIN``. Under root (CI) the server runs as the ``mysql``
system user. One server per test session, on a free loopback port, stopped and deleted at
the end. If it cannot be started, every test using it FAILS with the reason: a database
test that silently skips would hide a broken setup.
"""

from __future__ import annotations

import contextlib
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

import pymysql
import pytest

PASSWORD = "m4ria-test-Passw0rd"
PASSWORD_ENV = "SYNC_TEST_MARIADB_PASSWORD"
ADMIN = "sync_admin"
DATABASE = "cdp"
START_TIMEOUT = 60.0
BIN_ENV = "SYNC_TEST_MARIADB_BIN"  # optional: the folder of mariadb-install-db/mariadbd


@dataclass(frozen=True, slots=True)
class MariaDBServer:
    host: str
    port: int
    user: str
    password: str
    database: str

    def url(self, password: str = f"${{env:{PASSWORD_ENV}}}") -> str:
        """A ``type: sql`` URL; by default the password is a deferred env reference."""
        return f"mysql+pymysql://{self.user}:{password}@{self.host}:{self.port}/{self.database}"

    @property
    def environ(self) -> dict[str, str]:
        return {PASSWORD_ENV: self.password}

    def connect(self) -> pymysql.connections.Connection[pymysql.cursors.Cursor]:
        """An autocommit connection of the (all-privileged) test user, for loading data."""
        return pymysql.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            database=self.database,
            charset="utf8mb4",
            autocommit=True,
        )


def _binary(name: str) -> Path:
    override = os.environ.get(BIN_ENV)
    folders = [override] if override else [None, "/usr/sbin", "/usr/bin"]
    for folder in folders:
        found = shutil.which(name, path=folder)
        if found:
            return Path(found)
    where = f"{BIN_ENV}={override}" if override else "PATH and /usr/sbin"
    pytest.fail(
        f"MariaDB's {name} not found ({where}): install the 'mariadb-server' package "
        "(.ci/run does it with apt-get)",
        pytrace=False,
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _system_user() -> list[str]:
    """``--user=mysql`` under root (mariadbd refuses root without it), else nothing."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam("mysql")
    except KeyError:
        pytest.fail(
            "running as root, and there is no 'mysql' user to run the MariaDB server as; "
            "install the 'mariadb-server' package",
            pytrace=False,
        )
    return ["--user=mysql"]


def _install_db(folder: Path, user: list[str]) -> None:
    if user:
        account = pwd.getpwnam("mysql")
        os.chown(folder, account.pw_uid, account.pw_gid)
    result = subprocess.run(
        [
            str(_binary("mariadb-install-db")), "--no-defaults", f"--datadir={folder / 'data'}",
            *user, "--auth-root-authentication-method=normal", "--skip-test-db",
            "--skip-name-resolve",
        ],
        cwd=folder, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        pytest.fail(f"mariadb-install-db failed:\n{result.stdout}\n{result.stderr}", pytrace=False)


def _root(folder: Path) -> pymysql.connections.Connection[pymysql.cursors.Cursor]:
    """root over the server's socket (no password: the datadir is private and new)."""
    return pymysql.connect(unix_socket=str(folder / "sock"), user="root", autocommit=True)


def _wait_ready(folder: Path, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if process.poll() is not None:
            pytest.fail(
                f"the MariaDB server exited at start (code {process.returncode}):\n"
                f"{log.read_text(errors='replace')[-3000:]}",
                pytrace=False,
            )
        try:
            if not (folder / "sock").exists():  # created once the server listens; connecting
                raise OSError("not listening yet")  # before it leaks pymysql's socket
            _root(folder).close()
            return
        except (OSError, pymysql.err.OperationalError) as exc:
            if time.monotonic() > deadline:
                pytest.fail(
                    f"the MariaDB server did not accept connections in {START_TIMEOUT:.0f} s: "
                    f"{exc}\n{log.read_text(errors='replace')[-3000:]}",
                    pytrace=False,
                )
            time.sleep(0.1)


def _create_user(folder: Path, server: MariaDBServer) -> None:
    with contextlib.closing(_root(folder)) as root, root.cursor() as cursor:
        cursor.execute(
            f"CREATE DATABASE {server.database} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
        )
        cursor.execute(
            f"CREATE USER '{server.user}'@'127.0.0.1' IDENTIFIED BY %s", (server.password,)
        )
        cursor.execute(f"GRANT ALL ON *.* TO '{server.user}'@'127.0.0.1'")


@contextlib.contextmanager
def running_server() -> Iterator[MariaDBServer]:
    """mariadb-install-db + mariadbd on a free loopback port; stopped and deleted afterwards."""
    user = _system_user()
    folder = Path(tempfile.mkdtemp(prefix="sync-test-mariadb-"))
    process: subprocess.Popen[bytes] | None = None
    try:
        _install_db(folder, user)
        server = MariaDBServer("127.0.0.1", _free_port(), ADMIN, PASSWORD, DATABASE)
        log = folder / "server.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [
                    str(_binary("mariadbd")), "--no-defaults", f"--datadir={folder / 'data'}",
                    *user, f"--port={server.port}", "--bind-address=127.0.0.1",
                    f"--socket={folder / 'sock'}", f"--pid-file={folder / 'mariadbd.pid'}",
                    "--skip-name-resolve", "--skip-log-bin", "--innodb-buffer-pool-size=256M",
                    "--innodb-flush-log-at-trx-commit=0", "--character-set-server=utf8mb4",
                    "--collation-server=utf8mb4_unicode_ci",
                ],
                cwd=folder, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        _wait_ready(folder, process, log)
        _create_user(folder, server)
        yield server
    finally:
        if process is not None:
            process.send_signal(signal.SIGTERM)  # a clean shutdown
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def mariadb_server() -> Iterator[MariaDBServer]:
    """A real MariaDB server for the whole session (fails the test if it cannot start)."""
    with running_server() as server:
        yield server
