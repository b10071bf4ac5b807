"""Several riskhub processes on one PostgreSQL: API servers and job workers, as operators run them.

Each process is the ordinary command (``riskhub serve``, ``riskhub worker``)
configured only through its environment: the same database URLs and the same
data folder for all. Their output goes to one log file each, which the tests
show when something fails.

Each process leads its own process group, killed whole when the cluster stops
and when the test process exits (a run stopped with Ctrl-C, say); on Linux the
kernel kills them if the test process is killed outright. None is left behind
to take the next run's jobs. Worker names are new for each run, so a job
row tells which run's worker ran it.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

STARTUP_S = 90.0  # five processes importing riskhub at once on two cores
PORT_TRIES = 3  # an API whose free port was taken before it bound gets another


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
    workers: list[str] = field(default_factory=list)  # their names in the job rows
    run: str = field(default_factory=lambda: secrets.token_hex(3))

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("RISKHUB_")}
        env.update(RISKHUB_DATABASE_URL=self.app_url, RISKHUB_ADMIN_DATABASE_URL=self.admin_url,
                   RISKHUB_DATA_DIR=str(self.folder))  # fmt: skip
        return env

    def _start(self, name: str, *args: str) -> None:
        log = (self.folder / f"{name}.log").open("ab")
        command = [sys.executable, "-m", "riskhub", *args]
        # A session of its own: stop() kills its whole group, children included.
        self.processes[name] = subprocess.Popen(
            command, env=self.env(), stdout=log, stderr=log, start_new_session=True,
            preexec_fn=_die_with_parent,
        )  # fmt: skip
        if len(self.processes) == 1:
            atexit.register(self.stop)

    def start(self, *, apis: int, workers: int, poll: float = 0.1) -> Cluster:
        """Start the servers and workers; return once every server answers."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self.workers = [f"worker-{k + 1}-{self.run}" for k in range(workers)]
        for k, me in enumerate(self.workers):
            self._start(f"worker-{k + 1}", "worker", "--poll", str(poll), "--name", me)
        self.apis = [self._api(f"api-{k + 1}") for k in range(apis)]
        return self

    def _api(self, name: str) -> str:
        deadline = time.monotonic() + STARTUP_S
        for _try in range(PORT_TRIES):
            port = free_port()
            self._start(name, "serve", "--port", str(port))
            url = f"http://127.0.0.1:{port}"
            while not self._answers(url):
                dead = [n for n, p in self.processes.items() if p.poll() is not None]
                if dead == [name] and b"address already in use" in self._log(name).lower():
                    break  # another process took the port first: try another
                if dead or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"{name} did not start ({dead or 'timeout'}):\n"
                                       f"{self.logs()}")  # fmt: skip
                time.sleep(0.2)
            else:
                return url
        self.stop()
        raise RuntimeError(f"{name} found no free port in {PORT_TRIES} tries:\n{self.logs()}")

    def _log(self, name: str) -> bytes:
        return (self.folder / f"{name}.log").read_bytes()

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
        """Ask every process to stop, then kill each one's whole group."""
        for process in self.processes.values():
            if process.poll() is None:
                _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + 20
        for process in self.processes.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(deadline - time.monotonic(), 0.1))
            _signal_group(process, signal.SIGKILL)  # what it started, too
            process.wait()


def _die_with_parent() -> None:
    # Linux: the kernel kills the child when the test process dies, even of SIGKILL or an
    # unhandled SIGTERM (a CI timeout), where neither stop() nor atexit runs.
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)  # the group leader's pid is the group's id
