"""A throwaway PostgreSQL server from the Debian packages (`make system-deps` installs `postgresql`):
initdb into a temp dir, pg_ctl start on a free port, stopped and deleted afterwards. PostgreSQL refuses
to run as root, so under root the server runs as the `postgres` user the Debian package creates."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


def _bindir() -> Path:
    for candidate in [shutil.which("pg_config"), *sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_config"))[::-1]]:
        if candidate:
            out = subprocess.run([candidate, "--bindir"], capture_output=True, text=True)
            if out.returncode == 0 and (Path(out.stdout.strip()) / "initdb").exists():
                return Path(out.stdout.strip())
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"))[::-1]:
        if (Path(candidate) / "initdb").exists():
            return Path(candidate)
    raise RuntimeError("PostgreSQL server binaries not found: run `make system-deps` (apt package postgresql)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class PgServer:
    root: Path
    port: int
    user: str
    password: str
    run_as: list[str]
    bindir: Path

    @property
    def url(self) -> str:
        return f"postgresql://{self.user}:{self.password}@127.0.0.1:{self.port}/litellm"

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*self.run_as, *args], capture_output=True, text=True, check=True, timeout=60)

    def stop(self) -> None:
        subprocess.run(
            [*self.run_as, str(self.bindir / "pg_ctl"), "-D", str(self.root / "data"), "-m", "immediate", "stop"],
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(self.root, ignore_errors=True)


def start(password: str) -> PgServer:
    bindir = _bindir()
    root = Path(tempfile.mkdtemp(prefix="finops-pg-"))
    run_as: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
        run_as = ["runuser", "-u", "postgres", "--"]
    server = PgServer(root, _free_port(), "litellm", password, run_as, bindir)
    pwfile = root / "pw"
    pwfile.write_text(password + "\n")
    if run_as:
        shutil.chown(pwfile, "postgres", "postgres")
    server._run(
        str(bindir / "initdb"), "-D", str(root / "data"), "-U", server.user, "--pwfile", str(pwfile),
        "-A", "scram-sha-256", "-E", "UTF8", "--no-sync",
    )  # fmt: skip
    pwfile.unlink()
    server._run(
        str(bindir / "pg_ctl"), "-D", str(root / "data"), "-l", str(root / "server.log"), "-w", "-t", "60",
        "-o", f"-p {server.port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off", "start",
    )  # fmt: skip
    import psycopg

    deadline = time.time() + 30
    while True:
        try:
            con = psycopg.connect(
                host="127.0.0.1", port=server.port, user=server.user, password=password, dbname="postgres"
            )
            break
        except psycopg.OperationalError:
            if time.time() > deadline:
                raise
            time.sleep(0.2)
    con.autocommit = True
    con.cursor().execute("create database litellm")
    con.close()
    return server
