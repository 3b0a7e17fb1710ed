"""A throwaway PostgreSQL cluster for the tests: found on this machine (PATH, then
/usr/lib/postgresql/*/bin) or installed from Debian's packages, created with initdb in a
temporary directory, listening on a Unix socket there and on 127.0.0.1 at a free port,
and stopped at the end. Every wait is bounded.

PostgreSQL refuses to run as root; as root (CI) the cluster runs as the ``postgres`` user
the Debian package creates, in a directory given to it.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

START_TIMEOUT = 60
INSTALL_TIMEOUT = 600
SUPERUSER = "multicodex_admin"


@dataclass(frozen=True)
class Cluster:
    bin_dir: Path
    data_dir: Path
    socket_dir: Path
    port: int

    def url(self, user: str = SUPERUSER, password: str | None = None, db: str = "postgres") -> str:
        secret = f":{password}" if password else ""
        return f"postgresql://{user}{secret}@127.0.0.1:{self.port}/{db}"

    def socket_url(self, user: str = SUPERUSER, db: str = "postgres") -> str:
        return f"postgresql://{user}@/{db}?host={self.socket_dir}&port={self.port}"

    def psql(self, sql: str, db: str = "postgres") -> str:
        """Run ``sql`` as the cluster's superuser over the socket; its output."""
        done = subprocess.run(
            [
                str(self.bin_dir / "psql"),
                "-X",
                "-q",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                str(self.socket_dir),
                "-p",
                str(self.port),
                "-U",
                SUPERUSER,
                "-d",
                db,
                "-c",
                sql,
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return done.stdout

    def tool(self, name: str, *args: str) -> str:
        done = subprocess.run(
            [
                str(self.bin_dir / name),
                "-h",
                str(self.socket_dir),
                "-p",
                str(self.port),
                "-U",
                SUPERUSER,
                *args,
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return done.stdout

    def stop(self) -> None:
        _as_owner(
            [
                str(self.bin_dir / "pg_ctl"),
                "-D",
                str(self.data_dir),
                "-m",
                "fast",
                "-w",
                "-t",
                str(START_TIMEOUT),
                "stop",
            ],
            check=False,
        )

    def start(self) -> None:
        _as_owner(
            [
                str(self.bin_dir / "pg_ctl"),
                "-D",
                str(self.data_dir),
                "-w",
                "-t",
                str(START_TIMEOUT),
                "-l",
                str(self.data_dir.parent / "server.log"),
                "-o",
                f"-p {self.port} -k {self.socket_dir} -h 127.0.0.1",
                "start",
            ]
        )


def find_bin_dir() -> Path | None:
    found = shutil.which("initdb")
    if found is not None and shutil.which("pg_ctl") is not None:
        return Path(os.path.realpath(found)).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    return Path(candidates[0]).parent if candidates else None


def install_postgresql() -> None:
    """Debian's server package (the machines here run Debian, as root)."""
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(
        ["apt-get", "update"], check=True, timeout=INSTALL_TIMEOUT, env=env, capture_output=True
    )
    subprocess.run(
        ["apt-get", "install", "-y", "--no-install-recommends", "postgresql"],
        check=True,
        timeout=INSTALL_TIMEOUT,
        env=env,
        capture_output=True,
    )


def postgresql_bin_dir() -> Path:
    bin_dir = find_bin_dir()
    if bin_dir is None:
        install_postgresql()
        bin_dir = find_bin_dir()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL's initdb was not found after installing postgresql")
    return bin_dir


@contextlib.contextmanager
def throwaway_cluster() -> Iterator[Cluster]:
    bin_dir = postgresql_bin_dir()
    root = Path(tempfile.mkdtemp(prefix="multicodex-pg-"))
    try:
        data_dir, socket_dir = root / "data", root / "socket"
        socket_dir.mkdir()
        _give_to_owner(root)
        _as_owner(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(data_dir),
                "-U",
                SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--no-sync",
            ]
        )
        cluster = Cluster(bin_dir, data_dir, socket_dir, _free_port())
        cluster.start()
        try:
            yield cluster
        finally:
            cluster.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _owner() -> str | None:
    """Who runs the cluster: ``postgres`` when we are root, else ourselves (None)."""
    return "postgres" if os.geteuid() == 0 else None


def _give_to_owner(root: Path) -> None:
    owner = _owner()
    if owner is None:
        return
    entry = pwd.getpwnam(owner)
    for path in (root, *root.rglob("*")):
        os.chown(path, entry.pw_uid, entry.pw_gid)


def _as_owner(command: list[str], *, check: bool = True) -> None:
    owner = _owner()
    full = ["runuser", "-u", owner, "--", *command] if owner else command
    subprocess.run(
        full, check=check, timeout=START_TIMEOUT + 30, capture_output=True, stdin=subprocess.DEVNULL
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
