"""Hubs on one machine, each in its own process with its own database and key (demo, tests).

A hub is the ordinary riskhub API served by uvicorn, configured only through
its environment, exactly as an operator would run it; ``LoopbackHub`` prepares
its data folder, migrates its database, starts it, waits until it answers, and
stops it. Its sender worker is the ordinary ``riskhub exchange run`` with the
same environment (``worker``). Nothing here reaches beyond 127.0.0.1.
"""

from __future__ import annotations

import os
import socket
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from riskhub.audit import keys as key_files
from riskhub.db import migrate
from riskhub.db.engine import engine_for, make_engine
from riskhub.exchange.keys import Identity
from riskhub.exchange.tls import LoopbackTls

STARTUP_S = 60.0


def fresh_postgres(server: str, name: str) -> tuple[str, str]:
    """A new, empty database ``name`` on the PostgreSQL at ``server``: (API role's URL, owner's).

    The API's role (``riskhub_app``, bound by row-level security) connects to it as
    the hub's ``RISKHUB_DATABASE_URL``; the owner migrates it.
    """
    engine = make_engine(server, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    engine.dispose()
    admin = make_url(server).set(database=name)
    app = admin.set(username="riskhub_app", password=None)
    return app.render_as_string(False), admin.render_as_string(False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LoopbackHub:
    """One hub: its name, Parties, folder, database URLs and (once started) its server."""

    node: str
    parties: tuple[str, ...]
    folder: Path
    tls: LoopbackTls | None = None
    database_url: str | None = None  # default: SQLite in the folder
    admin_database_url: str | None = None
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def admin_url(self) -> str:
        return self.admin_database_url or self.app_url

    @property
    def app_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.folder / 'riskhub.sqlite3').resolve()}"

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    @property
    def engine(self) -> Engine:
        """The operators' engine on this hub's database (from this process)."""
        return engine_for(self.admin_url)

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("RISKHUB_")}
        env.update(
            RISKHUB_DATA_DIR=str(self.folder), RISKHUB_DATABASE_URL=self.app_url,
            RISKHUB_ADMIN_DATABASE_URL=self.admin_url, RISKHUB_NODE=self.node,
            RISKHUB_NODE_PARTIES=";".join(self.parties),
        )  # fmt: skip
        if self.tls:
            env["RISKHUB_EXCHANGE_CA_FILE"] = str(self.tls.ca_file)
        return env

    def identity(self) -> Identity:
        key = key_files.load_or_create(self.folder / "keys" / "exchange-ed25519.pem")
        return Identity(self.node, frozenset(self.parties), key)

    def prepare(self) -> LoopbackHub:
        """Create the folder, migrate the database and make the node's key."""
        self.folder.mkdir(parents=True, exist_ok=True)
        migrate.upgrade(self.admin_url)
        self.identity()
        return self

    def start(self) -> LoopbackHub:
        """Serve the API and wait until it answers."""
        command = [
            *(sys.executable, "-m", "uvicorn", "riskhub.app:create_app", "--factory"),
            *("--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning"),
        ]
        if self.tls:
            command += ["--ssl-certfile", str(self.tls.cert_file),
                        "--ssl-keyfile", str(self.tls.key_file)]  # fmt: skip
        log = (self.folder / "server.log").open("ab")
        self.process = subprocess.Popen(command, env=self.env(), stdout=log, stderr=log)
        verify = ssl.create_default_context(cafile=str(self.tls.ca_file)) if self.tls else False
        deadline = time.monotonic() + STARTUP_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"hub {self.node} exited; see {self.folder / 'server.log'}")
            try:
                if httpx.get(f"{self.url}/healthz", verify=verify, timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"hub {self.node} did not answer within {STARTUP_S:.0f} s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def worker(self, *args: str, **settings: str) -> subprocess.Popen[bytes]:
        """Start this hub's sender worker (``riskhub exchange run ARGS``) in its own process.

        ``settings`` are extra ``RISKHUB_*`` variables, e.g. ``exchange_timeout_s="5"``.
        """
        log = (self.folder / "worker.log").open("ab")
        command = [sys.executable, "-m", "riskhub", "exchange", "run", *args]
        env = self.env() | {f"RISKHUB_{k.upper()}": v for k, v in settings.items()}
        return subprocess.Popen(command, env=env, stdout=log, stderr=log)
