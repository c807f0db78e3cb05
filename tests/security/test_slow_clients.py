"""Slow and idle HTTP clients cannot hold connections forever: a header timeout, a body
(idle) timeout and a connection cap, driven with raw sockets against a real host whose
limits are shortened for the test."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.harness import ROOT, HostProcess, NatsServer, eventually

PROJECT = ROOT / "tests" / "projects" / "big_bodies"
HEADER_TIMEOUT = 2.0
BODY_TIMEOUT = 2.0
MAX_CONNECTIONS = 3
# How long to wait for the host to act on a timeout before the test gives up on it.
PATIENCE = 15.0


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostProcess]:
    tmp: Path = tmp_path_factory.mktemp("slow_clients")
    nats = NatsServer(tmp / "nats")
    env = {
        "STEPHOST_HTTP_HEADER_TIMEOUT": str(HEADER_TIMEOUT),
        "STEPHOST_HTTP_BODY_TIMEOUT": str(BODY_TIMEOUT),
        "STEPHOST_HTTP_MAX_CONNECTIONS": str(MAX_CONNECTIONS),
    }
    proc = HostProcess(PROJECT, tmp / "host", nats.url, env=env)
    try:
        yield proc.wait_ready(2)
    finally:
        proc.stop()
        nats.stop()


def connect(host: HostProcess) -> socket.socket:
    url = urlsplit(host.url)
    sock = socket.create_connection((url.hostname, url.port), timeout=PATIENCE)
    return sock


def read_until_closed(sock: socket.socket) -> bytes:
    """Everything the host sends until it closes the connection (a socket timeout fails the test)."""
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def response(raw: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), headers, body


def post_head(length: int) -> bytes:
    return (
        f"POST /size HTTP/1.1\r\nhost: test\r\ncontent-type: application/json\r\n"
        f"content-length: {length}\r\n\r\n"
    ).encode()


def test_a_connection_that_sends_nothing_is_closed_after_the_header_timeout(host: HostProcess) -> None:
    with connect(host) as sock:
        started = time.monotonic()
        assert read_until_closed(sock) == b""  # closed without a word: no request to answer
        assert time.monotonic() - started >= HEADER_TIMEOUT * 0.5


def test_a_half_sent_head_gets_408(host: HostProcess) -> None:
    with connect(host) as sock:
        sock.sendall(b"POST /size HTTP/1.1\r\nhost: test\r\n")  # ... and never the blank line
        status, headers, body = response(read_until_closed(sock))
    assert status == 408 and headers["connection"] == "close"
    assert "http_header_timeout" in json.loads(body)["error"]


def test_a_stalled_body_gets_408_and_the_connection_closed(host: HostProcess) -> None:
    with connect(host) as sock:
        sock.sendall(post_head(1000) + b'"')  # 1 byte of a 1,000-byte body
        status, headers, body = response(read_until_closed(sock))
    assert status == 408 and headers["connection"] == "close"
    assert "http_body_timeout" in json.loads(body)["error"]
    # The handler never ran with a truncated body: the host logged the request as abandoned.
    eventually(lambda: host.log_lines("POST /size -> 499"), PATIENCE, what="the abandoned request's log line")


def test_a_slow_but_steady_body_is_not_cut_off(host: HostProcess) -> None:
    """The body timeout is the silence between chunks, not the whole upload."""
    payload = json.dumps("x" * 1000).encode()
    pieces = [payload[:300], payload[300:600], payload[600:]]
    with connect(host) as sock:
        sock.sendall(post_head(len(payload)))
        for piece in pieces:
            time.sleep(BODY_TIMEOUT * 0.4)  # the client's pace, not a wait for an outcome
            sock.sendall(piece)
        raw = b""
        while b"\r\n\r\n" not in raw or not raw.endswith(b"}"):
            chunk = sock.recv(65536)
            assert chunk, f"the host closed the connection before answering: {raw!r}"
            raw += chunk
    status, _, body = response(raw)
    assert status == 200 and json.loads(body) == {"size": 1000}


def test_connections_over_the_cap_are_refused_until_others_close(host: HostProcess) -> None:
    idle = [connect(host) for _ in range(MAX_CONNECTIONS)]
    try:
        with connect(host) as extra:
            extra.sendall(b'POST /size HTTP/1.1\r\nhost: test\r\ncontent-length: 2\r\n\r\n""')
            status, headers, body = response(read_until_closed(extra))
        assert status == 503 and headers["connection"] == "close"
        assert "http_max_connections" in json.loads(body)["error"]
        # The idle ones are closed by the header timeout; then requests are served again.
        for sock in idle:
            assert read_until_closed(sock) == b""
    finally:
        for sock in idle:
            sock.close()

    def served() -> bool:
        r = httpx.post(host.url + "/size", json="abc", timeout=5)
        return r.status_code == 200 and r.json() == {"size": 3}

    eventually(served, PATIENCE, what="a normal request once the idle connections are gone")
