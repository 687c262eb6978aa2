"""A private PostgreSQL 16 + pgvector server in a temporary folder, on a Unix socket only.

The binaries come from the ``pgserver`` wheel (PostgreSQL 16 with pgvector 0.6); vecbench runs
them itself rather than through pgserver's ``pg_ctl`` wrapper, because pg_ctl detaches the server
and a killed run would leave it running. Here the postmaster is a direct child tied to its owner
(``vecbench.servers.process``), listens on no TCP port, and its folder is removed at ``stop``.

``initdb`` takes seconds, so one initialised data folder is kept as a template per pgserver version
(in the system temp folder) and copied for each server. PostgreSQL refuses to run as root; as root
the binaries are copied once beside the template where the unprivileged user can read them.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import shutil
import signal
import tempfile
import time
from pathlib import Path

import psycopg

from vecbench.core.errors import ConfigError
from vecbench.servers.process import (
    ManagedServer,
    start_tied,
    tail,
    unprivileged_ids,
)

PREFIX = "vecbench-pg-"
START_TIMEOUT_S = 60.0
INSTALL_HINT = "pip install 'vecbench[pgvector]', or give the index entry a dsn: to your own server"


def pgserver_root() -> Path:
    """The site folder holding ``pgserver/pginstall`` and ``pgserver.libs`` (found without importing
    pgserver, whose import has side effects)."""
    spec = importlib.util.find_spec("pgserver")
    if spec is None or spec.origin is None:
        raise ConfigError(f"the embedded PostgreSQL server needs the pgserver package: {INSTALL_HINT}")
    return Path(spec.origin).parent.parent


def cache_root() -> Path:
    version = importlib.metadata.version("pgserver")
    return Path(tempfile.gettempdir()) / f"vecbench-pgserver-{version}-{os.geteuid()}"


def _publish(build: Path, final: Path) -> None:
    """Move a finished folder into place; another process that got there first wins."""
    try:
        os.rename(build, final)
    except OSError:
        shutil.rmtree(build, ignore_errors=True)
        if not final.exists():
            raise


def binaries() -> Path:
    """The ``bin`` folder to run: pgserver's own, or (as root) a world-readable copy of it."""
    site = pgserver_root()
    if unprivileged_ids() is None:
        return site / "pgserver" / "pginstall" / "bin"
    copy = cache_root() / "install"
    if not (copy / "pgserver" / "pginstall" / "bin" / "postgres").exists():
        copy.parent.mkdir(mode=0o755, exist_ok=True)
        build = Path(tempfile.mkdtemp(prefix="install-", dir=copy.parent))
        # the binaries find their libraries at $ORIGIN/../../../pgserver.libs: keep that layout
        shutil.copytree(site / "pgserver" / "pginstall", build / "pgserver" / "pginstall")
        shutil.copytree(site / "pgserver.libs", build / "pgserver.libs")
        for folder, _dirs, files in os.walk(build):
            os.chmod(folder, 0o755)
            for name in files:
                path = os.path.join(folder, name)
                mode = os.stat(path).st_mode
                os.chmod(path, mode | 0o444 | (0o111 if mode & 0o100 else 0))
        _publish(build, copy)
    return copy / "pgserver" / "pginstall" / "bin"


def _run_as_server_user(argv: list[str], log: Path) -> None:
    proc = start_tied(argv, log, as_unprivileged=True)
    if proc.wait() != 0:
        raise RuntimeError(f"{Path(argv[0]).name} failed: {tail(log)}")


def template(bin_dir: Path) -> Path:
    """An initialised, never started data folder to copy (initdb once per pgserver version)."""
    final = cache_root() / "template"
    if (final / "data" / "PG_VERSION").exists():
        return final
    final.parent.mkdir(mode=0o755, exist_ok=True)
    build = Path(tempfile.mkdtemp(prefix="template-", dir=final.parent))
    os.chmod(build, 0o755)
    data = build / "data"
    data.mkdir(mode=0o700)
    chown_to_server_user(data)
    _run_as_server_user(
        [str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "--encoding=UTF8", "-N"],
        build / "initdb.log",
    )
    _publish(build, final)
    return final


def chown_to_server_user(path: Path) -> None:
    ids = unprivileged_ids()
    if ids is None:
        return
    for folder, _, files in os.walk(path):
        os.chown(folder, *ids)
        for name in files:
            os.chown(os.path.join(folder, name), *ids)


class PostgresServer(ManagedServer):
    """One running postmaster; ``dsn`` connects to it over its socket as the superuser ``postgres``."""

    prefix = PREFIX
    stop_signal = signal.SIGINT  # fast shutdown: roll back, disconnect, stop

    def __init__(self, folder: Path, bin_dir: Path) -> None:
        super().__init__(folder)
        self.bin_dir = bin_dir
        self.data = folder / "data"
        self.socket_dir = folder / "socket"
        self.log = folder / "postgres.log"
        self.dsn = f"host={self.socket_dir} user=postgres dbname=postgres"

    @classmethod
    def start(cls) -> PostgresServer:
        bin_dir = binaries()
        source = template(bin_dir) / "data"
        folder = cls.owned_folder()
        os.chmod(folder, 0o711)  # the server user must reach its folders inside
        server = cls(folder, bin_dir)
        shutil.copytree(source, server.data, symlinks=True)
        os.chmod(server.data, 0o700)
        server.socket_dir.mkdir(mode=0o755)
        chown_to_server_user(server.data)
        chown_to_server_user(server.socket_dir)
        return server.launched()

    def launch(self) -> None:
        """Start the postmaster on the data folder (after a crash: PostgreSQL recovers from its WAL)."""
        argv = [
            str(self.bin_dir / "postgres"),
            *("-D", str(self.data), "-k", str(self.socket_dir)),
            *("-c", "listen_addresses=", "-c", "max_connections=50", "-c", "shared_buffers=256MB"),
        ]
        self.proc = start_tied(argv, self.log, as_unprivileged=True)
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"PostgreSQL exited while starting: {tail(self.log)}")
            try:
                psycopg.connect(self.dsn, connect_timeout=2).close()
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"PostgreSQL did not accept connections in {START_TIMEOUT_S:.0f} s"
                    ) from None
                time.sleep(0.05)
