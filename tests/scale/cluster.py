"""Several riskhub processes on one PostgreSQL: API servers and job workers, as operators run them.

Each process is the ordinary command (``riskhub serve``, ``riskhub worker``)
configured only through its environment: the same database URLs and the same
data folder for all. Their output goes to one log file each, which the tests
show when something fails.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

STARTUP_S = 90.0  # five processes importing riskhub at once on two cores


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Cluster:
    """API servers and job workers sharing one database and one data folder."""

    folder: Path
    app_url: str
    admin_url: str
    apis: list[str] = field(default_factory=list)  # base URLs
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("RISKHUB_")}
        env.update(RISKHUB_DATABASE_URL=self.app_url, RISKHUB_ADMIN_DATABASE_URL=self.admin_url,
                   RISKHUB_DATA_DIR=str(self.folder))  # fmt: skip
        return env

    def _start(self, name: str, *args: str) -> None:
        log = (self.folder / f"{name}.log").open("ab")
        command = [sys.executable, "-m", "riskhub", *args]
        self.processes[name] = subprocess.Popen(command, env=self.env(), stdout=log, stderr=log)

    def start(self, *, apis: int, workers: int) -> Cluster:
        """Start the servers and workers; return once every server answers."""
        self.folder.mkdir(parents=True, exist_ok=True)
        ports = [free_port() for _ in range(apis)]
        for k, port in enumerate(ports):
            self._start(f"api-{k + 1}", "serve", "--port", str(port))
        for k in range(workers):
            self._start(f"worker-{k + 1}", "worker", "--poll", "0.1", "--name", f"worker-{k + 1}")
        self.apis = [f"http://127.0.0.1:{port}" for port in ports]
        deadline = time.monotonic() + STARTUP_S
        for k, url in enumerate(self.apis):
            while not self._answers(url):
                dead = [n for n, p in self.processes.items() if p.poll() is not None]
                if dead or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"api-{k + 1} did not start ({dead or 'timeout'}):\n"
                                       f"{self.logs()}")  # fmt: skip
                time.sleep(0.2)
        return self

    @staticmethod
    def _answers(url: str) -> bool:
        try:
            return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def running(self) -> list[str]:
        return [name for name, p in self.processes.items() if p.poll() is None]

    def logs(self, tail: int = 2000) -> str:
        """The end of every process's log, for a failing test's message."""
        parts = []
        for name in self.processes:
            text = (self.folder / f"{name}.log").read_text(errors="replace")
            parts.append(f"--- {name} ---\n{text[-tail:]}")
        return "\n".join(parts)

    def stop(self) -> None:
        """Ask every process to stop, then kill what is still there."""
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + 20
        for process in self.processes.values():
            try:
                process.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
