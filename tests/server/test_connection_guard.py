"""Connections that do not finish their request (next_token.server.connection_guard, body_limit):
a head that does not come in time gets a 408 and the connection is closed, so do heads that are too
long, the oldest waiting connections make room for new ones, and 2,000 half-sent connections do
not lock clients out of a server limited to 1,024 open files."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx
import pytest

from next_token.server import running_server
from next_token.server.schemas import Limits

PARSERS = ["h11", pytest.param("httptools", marks=pytest.mark.skipif(
    __import__("importlib").util.find_spec("httptools") is None, reason="httptools is not installed"))]


def address(url: str) -> tuple[str, int]:
    host, port = url.removeprefix("http://").split(":")
    return host, int(port)


def read_until_closed(sock: socket.socket, timeout: float) -> tuple[bytes, float]:
    """Everything the server sends until it closes the connection, and how long that took."""
    sock.settimeout(timeout)
    started, data = time.monotonic(), b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return data, time.monotonic() - started
        data += chunk


@pytest.fixture(scope="module", params=PARSERS)
def guarded(request, tiny_lm):
    limits = Limits(header_timeout=0.3, body_timeout=0.3, max_header_bytes=4096, max_pending_connections=20)
    with running_server(tiny_lm, http=request.param, limits=limits) as url:
        yield url


def test_a_head_that_does_not_come_in_time_gets_a_408(guarded):
    with socket.create_connection(address(guarded)) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        reply, waited = read_until_closed(sock, 5)
    assert reply.startswith(b"HTTP/1.1 408")
    assert 0.2 < waited < 1.5


def test_a_connection_that_sends_nothing_is_closed(guarded):
    with socket.create_connection(address(guarded)) as sock:
        reply, waited = read_until_closed(sock, 5)
    assert reply == b"" and waited < 1.5


def test_a_trickled_head_is_closed_on_time(guarded):
    """A byte every 0.1 s never completes the head: the clock is the head's, not the last byte's."""
    with socket.create_connection(address(guarded)) as sock:
        started = time.monotonic()
        try:
            for b in b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow-Loris: aaaaaaaaaaaaaaaaaaaa":
                sock.sendall(bytes([b]))
                time.sleep(0.1)
        except OSError:
            pass  # closed by the server while we trickled
        reply, _ = read_until_closed(sock, 5)
    assert reply.startswith(b"HTTP/1.1 408") or reply == b""
    assert time.monotonic() - started < 2


def test_keep_alive_connections_get_the_same_clock_for_their_next_head(guarded):
    with socket.create_connection(address(guarded)) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        sock.settimeout(5)
        assert sock.recv(65536).startswith(b"HTTP/1.1 200")
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")  # the next head, never finished
        reply, waited = read_until_closed(sock, 5)
    assert reply.startswith(b"HTTP/1.1 408") and waited < 1.5


def test_a_too_long_head_is_refused(guarded):
    with socket.create_connection(address(guarded)) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        try:
            for _ in range(10):
                sock.sendall(b"X-Filler: " + b"a" * 1000 + b"\r\n")
        except OSError:
            pass
        reply, _ = read_until_closed(sock, 5)
    assert reply.startswith((b"HTTP/1.1 431", b"HTTP/1.1 400"))  # h11 refuses with its own 400


def test_a_slow_body_gets_a_408(guarded):
    with socket.create_connection(address(guarded)) as sock:
        sock.sendall(b"POST /api/predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 100\r\n\r\n{\"context\": ")
        reply, waited = read_until_closed(sock, 5)
    assert reply.startswith(b"HTTP/1.1 408")
    assert b"body_timeout" in reply and waited < 1.5


def test_the_oldest_waiting_connections_make_room(guarded):
    """max_pending_connections = 20: 60 connections that send nothing push each other out, and a
    real client that comes after them is served at once."""
    idle = [socket.create_connection(address(guarded)) for _ in range(60)]
    try:
        started = time.monotonic()
        assert httpx.get(guarded + "/health", timeout=5).status_code == 200
        assert time.monotonic() - started < 0.5
        closed = 0
        for sock in idle:
            sock.settimeout(0.05)
            try:
                closed += sock.recv(1) == b""
            except (TimeoutError, socket.timeout):
                pass
            except OSError:
                closed += 1
        assert closed >= 35  # all but the newest 20 (and the client's own) were closed
    finally:
        for sock in idle:
            sock.close()


def test_normal_requests_are_untouched(guarded):
    with httpx.Client(base_url=guarded, timeout=5) as http:
        for _ in range(3):
            assert http.post("/api/predict", json={"context": "The cat", "k": 2}).status_code == 200
        time.sleep(0.5)  # longer than header_timeout: an idle keep-alive connection is simply reopened
        assert http.get("/health").status_code == 200


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="resource limits as on Linux")
def test_2000_half_sent_connections_do_not_lock_clients_out(tiny_model_file):
    """The server runs with an open-file limit of 1,024 (hard, so it cannot raise it): 2,000
    connections that send half a request head leave room for a client, answered at once."""
    import resource

    if resource.getrlimit(resource.RLIMIT_NOFILE)[0] < 2200:
        pytest.skip("this test needs 2,200 open files for its own connections")
    path = tiny_model_file
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code = ("import resource; resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024)); "
            "from next_token.server import serve; "
            f"serve({str(path)!r}, port={port}, log_level='error')")
    proc = subprocess.Popen([sys.executable, "-c", code], env={**os.environ, "PYTHONUNBUFFERED": "1"})
    url = f"http://127.0.0.1:{port}"
    attackers: list[socket.socket] = []
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(url + "/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)
        for _ in range(2000):
            sock = socket.create_connection(("127.0.0.1", port))
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
            attackers.append(sock)
        for _ in range(5):
            started = time.monotonic()
            r = httpx.post(url + "/api/predict", json={"context": "The cat", "k": 2}, timeout=10)
            assert r.status_code == 200
            assert time.monotonic() - started < 2.0
        assert proc.poll() is None
    finally:
        for sock in attackers:
            sock.close()
        proc.terminate()
        proc.wait(timeout=20)
