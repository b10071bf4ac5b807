"""Tests of the TCP fault proxy, against a tiny plain-HTTP echo server on loopback.

The echo server records what it received byte for byte and which requests arrived complete, so
each fault can be checked from both ends: what the client got and what the server saw.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import random
import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest

from .faultproxy import FaultProxy, Faults

TIMEOUT_S = 10.0


@dataclass
class Received:
    method: str
    path: str
    body: bytes


class EchoServer:
    """HTTP/1.1 on 127.0.0.1:0 that answers each complete request with its own body.

    Written on raw sockets rather than http.server so that it can tell a half-received request
    (``partial``) from a complete one, and keep the exact bytes in and out of each connection.
    """

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        # Closing a socket does not wake a thread blocked in accept(), so accept() polls.
        self._listener.settimeout(0.05)
        self._closed = threading.Event()
        self.port: int = self._listener.getsockname()[1]
        self._changed = threading.Condition()
        self.connections = 0
        self.finished = 0
        self.partial = 0
        self.requests: list[Received] = []
        self.raw_in: list[bytes] = []
        self.raw_out: list[bytes] = []
        self._sockets: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._accepting = threading.Thread(target=self._accept, daemon=True)
        self._accepting.start()

    def wait_for(self, predicate: Callable[[EchoServer], bool]) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: predicate(self), TIMEOUT_S)

    def close(self) -> None:
        self._closed.set()
        self._accepting.join(TIMEOUT_S)
        self._listener.close()
        with self._changed:
            sockets = list(self._sockets)
        for sock in sockets:
            sock.close()
        for thread in self._threads:
            thread.join(TIMEOUT_S)

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            sock.settimeout(TIMEOUT_S)  # accepted sockets inherit the listener's short timeout
            with self._changed:
                index = self.connections
                self.connections += 1
                self.raw_in.append(b"")
                self.raw_out.append(b"")
                self._sockets.append(sock)
                self._changed.notify_all()
            thread = threading.Thread(target=self._serve, args=(sock, index), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _recv(self, sock: socket.socket, index: int) -> bytes:
        try:
            data = sock.recv(65536)
        except OSError:
            return b""
        with self._changed:
            self.raw_in[index] += data
            self._changed.notify_all()
        return data

    def _serve(self, sock: socket.socket, index: int) -> None:
        buffer = b""
        try:
            while True:
                while b"\r\n\r\n" not in buffer:
                    data = self._recv(sock, index)
                    if not data:
                        self._ended_early(bool(buffer))
                        return
                    buffer += data
                head, buffer = buffer.split(b"\r\n\r\n", 1)
                request_line, *header_lines = head.decode("latin-1").split("\r\n")
                method, path, _ = request_line.split(" ", 2)
                headers = {
                    name.strip().lower(): value.strip()
                    for name, value in (line.split(":", 1) for line in header_lines)
                }
                length = int(headers.get("content-length", "0"))
                while len(buffer) < length:
                    data = self._recv(sock, index)
                    if not data:
                        self._ended_early(True)
                        return
                    buffer += data
                body, buffer = buffer[:length], buffer[length:]
                close = headers.get("connection", "").lower() == "close"
                # Recorded before answering, so a client that sees the answer lost can rely on it.
                with self._changed:
                    self.requests.append(Received(method, path, body))
                    number = len(self.requests)
                    self._changed.notify_all()
                response = (
                    b"HTTP/1.1 200 OK\r\n"
                    + f"Content-Length: {len(body)}\r\nX-Request-Number: {number}\r\n".encode()
                    + (b"Connection: close\r\n" if close else b"")
                    + b"\r\n"
                    + body
                )
                sock.sendall(response)
                with self._changed:
                    self.raw_out[index] += response
                if close:
                    return
        except OSError:
            return
        finally:
            sock.close()
            with self._changed:
                self.finished += 1
                self._changed.notify_all()

    def _ended_early(self, midway: bool) -> None:
        """The client went away; ``midway`` if it had sent part of a request."""
        if midway:
            with self._changed:
                self.partial += 1


@pytest.fixture
def server() -> Iterator[EchoServer]:
    echo = EchoServer()
    yield echo
    echo.close()


def request(body: bytes = b"hello", path: str = "/deliveries", close: bool = True) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: hub\r\nContent-Length: {len(body)}\r\n"
        + ("Connection: close\r\n" if close else "")
        + "\r\n"
    ).encode() + body


def exchange(port: int, data: bytes) -> bytes:
    """Send ``data`` on a new connection and return everything received until it closes."""
    received = b""
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT_S) as sock:
        try:
            sock.sendall(data)
            while chunk := sock.recv(65536):
                received += chunk
        except (ConnectionResetError, BrokenPipeError):
            pass  # the proxy closing early is the fault under test
    return received


def read_response(sock: socket.socket) -> bytes:
    """Read one HTTP response (with a Content-Length) from a connection kept open."""
    received = b""
    while b"\r\n\r\n" not in received or len(received) < response_length(received):
        chunk = sock.recv(65536)
        assert chunk, f"connection closed after {received!r}"
        received += chunk
    return received


def response_length(received: bytes) -> int:
    head, _, _ = received.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    return len(head) + 4 + length


def response_body(response: bytes) -> bytes:
    """The body of exactly one HTTP response; fails if there is anything more or less."""
    head, _, rest = response.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    assert len(response) == response_length(response), "more or less than one response"
    return rest


def wait_until(predicate: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + TIMEOUT_S
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def only(stats: dict[str, int], **expected: int) -> dict[str, int]:
    """``stats`` with every counter not named in ``expected`` at zero."""
    return {name: expected.get(name, 0) for name in stats}


def test_passes_bytes_unchanged_both_ways(server: EchoServer) -> None:
    sent = request(bytes(range(256)) * 16)
    with FaultProxy("127.0.0.1", server.port) as proxy:
        received = exchange(proxy.port, sent)
        assert server.wait_for(lambda s: s.finished == 1)
        stats = proxy.stats
    assert server.raw_in == [sent]
    assert received == server.raw_out[0]
    assert response_body(received) == bytes(range(256)) * 16
    assert stats == only(stats, connections=1, bytes_up=len(sent), bytes_down=len(received))
    assert proxy.errors == []


def test_passes_a_megabyte_both_ways_with_keep_alive(server: EchoServer) -> None:
    body = random.Random(1).randbytes(1024 * 1024)
    with FaultProxy("127.0.0.1", server.port) as proxy:
        conn = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=TIMEOUT_S)
        for path in ("/first", "/second"):  # the second one reuses the connection
            conn.request("POST", path, body=body)
            response = conn.getresponse()
            assert response.status == 200
            assert response.read() == body
        conn.close()
        assert proxy.stats["connections"] == 1
    assert [(r.path, r.body == body) for r in server.requests] == [
        ("/first", True),
        ("/second", True),
    ]
    assert proxy.errors == []


def test_drop_closes_before_forwarding_anything(server: EchoServer) -> None:
    with FaultProxy("127.0.0.1", server.port, Faults(drop=1)) as proxy:
        assert exchange(proxy.port, request()) == b""
        stats = proxy.stats
    assert server.connections == 0
    assert server.requests == []
    assert stats == only(stats, connections=1, dropped=1)
    assert proxy.errors == []


def test_cut_loses_the_response_after_the_request_was_delivered(server: EchoServer) -> None:
    sent = request(b"exactly once")
    with FaultProxy("127.0.0.1", server.port, Faults(cut=1)) as proxy:
        assert exchange(proxy.port, sent) == b""
        assert server.wait_for(lambda s: s.finished == 1)
        stats = proxy.stats
    assert server.requests == [Received("POST", "/deliveries", b"exactly once")]
    assert stats == only(stats, connections=1, cut=1, bytes_up=len(sent))
    assert proxy.errors == []


def test_cut_after_up_bytes_spares_what_comes_before(server: EchoServer) -> None:
    # Two requests on one connection; only the answer to the second one is lost. Over TLS the
    # same threshold lets the handshake through.
    first, second = request(b"first", close=False), request(b"second")
    faults = Faults(cut=1, cut_after_up_bytes=len(first) + len(second))
    with (
        FaultProxy("127.0.0.1", server.port, faults) as proxy,
        socket.create_connection(("127.0.0.1", proxy.port), timeout=TIMEOUT_S) as sock,
    ):
        sock.sendall(first)
        answer = read_response(sock)
        assert response_body(answer) == b"first"
        sock.sendall(second)
        with contextlib.suppress(ConnectionResetError):
            assert sock.recv(65536) == b""
        assert server.wait_for(lambda s: s.finished == 1)
        stats = proxy.stats
    assert [r.body for r in server.requests] == [b"first", b"second"]
    assert stats == only(
        stats, connections=1, cut=1, bytes_up=len(first) + len(second), bytes_down=len(answer)
    )
    assert proxy.errors == []


@pytest.mark.parametrize("size", [100, 1024 * 1024])
def test_cut_midway_delivers_only_part_of_the_request(server: EchoServer, size: int) -> None:
    sent = request(b"x" * size)
    with FaultProxy("127.0.0.1", server.port, Faults(cut_midway=1)) as proxy:
        assert exchange(proxy.port, sent) == b""
        assert server.wait_for(lambda s: s.finished == 1)
        stats = proxy.stats
    assert server.requests == []
    assert server.partial == 1
    assert 0 < len(server.raw_in[0]) < len(sent)
    assert sent.startswith(server.raw_in[0])
    assert stats == only(stats, connections=1, cut_midway=1, bytes_up=len(server.raw_in[0]))
    assert proxy.errors == []


def test_duplicate_delivers_the_request_twice_and_one_response(server: EchoServer) -> None:
    sent = request(b"once please")
    with FaultProxy("127.0.0.1", server.port, Faults(duplicate=1)) as proxy:
        received = exchange(proxy.port, sent)
        assert server.wait_for(lambda s: len(s.requests) == 2 and s.finished == 2)
        stats = proxy.stats
    assert response_body(received) == b"once please"
    assert [r.body for r in server.requests] == [b"once please"] * 2
    assert server.raw_in == [sent, sent]
    # Counted once: the replayed copy is not part of the client's traffic.
    assert stats == only(
        stats, connections=1, duplicated=1, bytes_up=len(sent), bytes_down=len(received)
    )
    assert proxy.errors == []


def test_delay_still_delivers_everything(server: EchoServer) -> None:
    bodies = [b"small", random.Random(2).randbytes(300_000)]
    with FaultProxy("127.0.0.1", server.port, Faults(delay_s=0.01)) as proxy:
        for body in bodies:
            assert response_body(exchange(proxy.port, request(body))) == body
    assert [r.body for r in server.requests] == bodies
    assert proxy.errors == []


def test_set_faults_switches_behaviour_while_running(server: EchoServer) -> None:
    with FaultProxy("127.0.0.1", server.port) as proxy:
        assert response_body(exchange(proxy.port, request(b"1"))) == b"1"
        proxy.set_faults(Faults(drop=1))
        assert exchange(proxy.port, request(b"2")) == b""
        proxy.set_faults(Faults(cut=1))
        assert exchange(proxy.port, request(b"3")) == b""
        proxy.set_faults(Faults())
        assert response_body(exchange(proxy.port, request(b"4"))) == b"4"
        assert server.wait_for(lambda s: s.finished == 3)
        stats = proxy.stats
    assert [r.body for r in server.requests] == [b"1", b"3", b"4"]
    assert (stats["connections"], stats["dropped"], stats["cut"]) == (4, 1, 1)
    assert proxy.errors == []


def drop_pattern(server: EchoServer, faults: Faults, connections: int = 40) -> list[bool]:
    with FaultProxy("127.0.0.1", server.port, faults) as proxy:
        return [exchange(proxy.port, request()) == b"" for _ in range(connections)]


def test_decisions_follow_the_seed(server: EchoServer) -> None:
    first = drop_pattern(server, Faults(drop=0.5, seed=3))
    assert drop_pattern(server, Faults(drop=0.5, seed=3)) == first
    assert 0 < sum(first) < len(first)
    # set_faults restarts from the new seed.
    with FaultProxy("127.0.0.1", server.port, Faults(drop=0.5, seed=99)) as proxy:
        exchange(proxy.port, request())
        proxy.set_faults(Faults(drop=0.5, seed=3))
        assert [exchange(proxy.port, request()) == b"" for _ in first] == first


def test_many_concurrent_connections_account_for_every_request(server: EchoServer) -> None:
    count = 80
    faults = Faults(drop=0.2, cut=0.2, cut_midway=0.2, delay_s=0.005, seed=11)
    bodies = [f"delivery {n}".encode() * 50 for n in range(count)]
    with FaultProxy("127.0.0.1", server.port, faults) as proxy:
        with ThreadPoolExecutor(max_workers=40) as pool:
            received = list(pool.map(lambda body: exchange(proxy.port, request(body)), bodies))
        stats = proxy.stats
        upstream = count - stats["dropped"]
        assert server.wait_for(lambda s: s.connections == upstream and s.finished == upstream)
    answered = [body for body, response in zip(bodies, received, strict=True) if response]
    for body, response in zip(bodies, received, strict=True):
        if response:
            assert response_body(response) == body
    assert stats["connections"] == count
    assert min(stats["dropped"], stats["cut"], stats["cut_midway"], len(answered)) > 0
    assert stats["dropped"] + stats["cut"] + stats["cut_midway"] + len(answered) == count
    # Exactly the answered and the cut requests reached the server, each once.
    assert len(server.requests) == len(answered) + stats["cut"]
    assert set(answered) <= {r.body for r in server.requests}
    assert len({r.body for r in server.requests}) == len(server.requests)
    assert server.partial == stats["cut_midway"]
    assert proxy.errors == []


def test_upstream_down_closes_the_client_connection() -> None:
    with socket.create_server(("127.0.0.1", 0)) as placeholder:
        closed_port = placeholder.getsockname()[1]
    with FaultProxy("127.0.0.1", closed_port) as proxy:
        assert exchange(proxy.port, request()) == b""
    assert proxy.errors == []


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_stop_closes_everything_and_releases_the_port(server: EchoServer) -> None:
    fds = open_fds() if os.path.isdir("/proc/self/fd") else None
    proxy = FaultProxy("127.0.0.1", server.port)
    port = proxy.start()
    assert proxy.port == port
    # A connection left idle half-way through a request must not keep stop() waiting.
    idle = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT_S)
    idle.sendall(request(b"x" * 1000)[:50])
    assert server.wait_for(lambda s: len(s.raw_in) == 1 and len(s.raw_in[0]) == 50)
    proxy.stop()
    assert proxy.errors == []
    with pytest.raises(RuntimeError):
        _ = proxy.port
    with contextlib.suppress(ConnectionResetError):  # aborted: as good as closed
        assert idle.recv(1) == b""
    idle.close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT_S).close()
    # The port can be bound again (as any server binds: with SO_REUSEADDR).
    rebound = socket.socket()
    rebound.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    rebound.bind(("127.0.0.1", port))
    rebound.close()
    proxy.stop()  # a second stop does nothing
    assert server.wait_for(lambda s: s.finished == s.connections)
    if fds is not None:
        assert wait_until(lambda: open_fds() == fds)
    assert not any(thread.name == "fault-proxy" for thread in threading.enumerate())


def test_restarts_after_stop(server: EchoServer) -> None:
    proxy = FaultProxy("127.0.0.1", server.port)
    for body in (b"first life", b"second life"):
        with proxy:
            assert response_body(exchange(proxy.port, request(body))) == body
    assert proxy.stats["connections"] == 2


def test_start_twice_is_an_error(server: EchoServer) -> None:
    with FaultProxy("127.0.0.1", server.port) as proxy, pytest.raises(RuntimeError):
        proxy.start()


@pytest.mark.parametrize(
    "faults",
    [
        {"drop": 1.5},
        {"cut": -0.1},
        {"cut_midway": 2},
        {"duplicate": -1},
        {"delay_s": -0.5},
        {"cut_after_up_bytes": -1},
    ],
)
def test_faults_are_validated(faults: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        Faults(**faults)
