"""Overload (issue 8): past `limits.max_active_requests_per_worker` or over
`limits.max_memory_mib`, new requests, HTTP/1.1 and HTTP/2 alike, are answered 503 +
Retry-After by the proxy and never reach a backend; requests in progress finish;
memory stays bounded while clients hold responses they never read; a reload lifts a
limit. (The HTTP/1.1 side of the request limit is in test_adversarial.py.)"""
from __future__ import annotations

import os
import re
import select
import signal
import socket
import subprocess
import time
import urllib.request

import pytest

from helpers import Reader, connect, curl, marker, request_bytes
from tls_certs import start_tls_edge

H = "www.shop1.test"


def metrics(admin_port: int) -> dict[str, float]:
    text = urllib.request.urlopen(f"http://127.0.0.1:{admin_port}/metrics", timeout=10).read().decode()
    values = {}
    for row in text.splitlines():
        if row and not row.startswith("#"):
            name, _, value = row.rpartition(" ")
            values[name] = float(value)
    return values


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def reload(edge, config: str) -> None:
    edge["config"].write_text(config)
    edge["proc"].proc.send_signal(signal.SIGHUP)


def h2load_statuses(edge, path: str, *args: str) -> tuple[int, int, str]:
    proc = subprocess.run(["h2load", *args, "-H", f":authority: {H}", f"https://127.0.0.1:{edge['port']}{path}"],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "SSL_CERT_FILE": str(edge["ca"].cert)})
    assert proc.returncode == 0, proc.stderr
    found = re.search(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", proc.stdout)
    assert found, proc.stdout
    return int(found.group(1)), int(found.group(4)), proc.stdout


@pytest.fixture
def tls_edge(tmp_path_factory, database, backends):
    started = []

    def start(extra: str, timeouts: dict | None = None):
        edge = start_tls_edge(tmp_path_factory.mktemp("overload"), database, backends, extra=extra, timeouts=timeouts)
        started.append(edge)
        return edge

    yield start
    for edge in started:
        edge["proc"].stop()


def test_h2_streams_count_against_the_active_request_limit(tls_edge):
    """One HTTP/2 connection opening 20 slow streams at once against a limit of one
    request in progress per worker: the first is forwarded, the others get 503 +
    retry-after on their stream (the connection stays up for the stream in progress),
    none of those reaches the backend, and each is counted as shed."""
    edge = tls_edge("limits: { max_active_requests_per_worker: 1 }\n")
    m = marker("h2shed")
    ok, failed, out = h2load_statuses(edge, f"/slow?ms=1500&m={m}", "-n", "20", "-c", "1", "-m", "20")
    assert ok >= 1 and failed >= 1 and ok + failed == 20, out
    forwarded = [r for r in edge["backend"].requests if r["target"].endswith(m)]
    assert len(forwarded) == ok, (len(forwarded), out)
    shed = metrics(edge["admin_port"])['tenant_edge_requests_shed_total{reason="active_requests"}']
    assert shed == failed, (shed, out)
    # The stream's answer carries Retry-After like the HTTP/1.1 one; after the slow
    # streams finish, a new stream is served again.
    port = edge["port"]
    r = curl(f"https://{H}:{port}/after", "--http2", "--cacert", str(edge["ca"].cert),
             "--resolve", f"{H}:{port}:127.0.0.1")
    assert r.status == 200 and r.version == "HTTP/2", r.status


def test_over_the_memory_limit_new_requests_get_503_until_a_reload_lifts_it(tls_edge):
    """A memory limit under what the proxy already uses: within a sample or two it sheds
    every new request, HTTP/1.1 (503, Retry-After, closed) and HTTP/2 (503 on the stream),
    none reaching the backend, while /metrics says why; a reload without the limit ends it."""
    edge = tls_edge("limits: { max_memory_mib: 16 }\n")
    pid = edge["proc"].proc.pid
    assert rss_bytes(pid) > 16 << 20, "the proxy uses less than 16 MiB: this test cannot force the limit"
    wait_for(lambda: metrics(edge["admin_port"]).get("tenant_edge_memory_overloaded") == 1, 10, "memory_overloaded 1")
    values = metrics(edge["admin_port"])
    assert values["tenant_edge_memory_limit_bytes"] == 16 << 20
    assert values["tenant_edge_memory_resident_bytes"] > 16 << 20

    m = marker("memshed")
    with connect(edge["plain_port"]) as s:
        s.sendall(request_bytes("GET", f"/{m}/1", H))
        reader = Reader(s)
        resp = reader.read_response()
        assert resp.status == 503 and resp.header("Retry-After") == "1", resp.describe()
        assert reader.at_eof(5), "a shed request's connection must close"
    port = edge["port"]
    r = curl(f"https://{H}:{port}/{m}/2", "--http2", "--cacert", str(edge["ca"].cert),
             "--resolve", f"{H}:{port}:127.0.0.1")
    assert r.status == 503 and r.version == "HTTP/2", r.status
    assert r.header("retry-after") == "1", r.headers
    assert not [q for q in edge["backend"].requests if m in q["target"]], "a shed request reached the backend"
    assert metrics(edge["admin_port"])['tenant_edge_requests_shed_total{reason="memory"}'] >= 2

    config = edge["config"].read_text().replace("limits: { max_memory_mib: 16 }\n", "")
    reload(edge, config)
    wait_for(lambda: metrics(edge["admin_port"]).get("tenant_edge_memory_limit_bytes") == 0, 10, "the limit lifted")
    wait_for(lambda: metrics(edge["admin_port"]).get("tenant_edge_memory_overloaded") == 0, 10, "memory_overloaded 0")
    with connect(edge["plain_port"]) as s:
        s.sendall(request_bytes("GET", f"/{m}/3", H, [("Connection", "close")]))
        assert Reader(s).read_response().status == 200


@pytest.mark.skipif(os.environ.get("TENANT_EDGE_SANITIZER") is not None,
                    reason="a sanitizer's redzones and quarantine are not the proxy's footprint")
def test_memory_stays_bounded_under_a_flood_of_unfinished_heads(tls_edge):
    """Clients that send most of a large request head and then wait (slowloris, at
    scale) each pin an input buffer and a request context. Unlimited, 2,500 of them
    (paced, as a flood arrives) grow the proxy by tens of MiB; with a budget of 8 MiB over
    its footprint, the same flood takes it over the line and it sheds every newcomer with
    503 at its first bytes instead of growing: its resident size stays near the budget,
    the connections it had taken are still served when they finish their heads, and once
    they are gone it serves new clients again."""
    edge = tls_edge("", timeouts={"client_header": 120})
    pid = edge["proc"].proc.pid
    with connect(edge["plain_port"]) as s:   # warm: first request, pools, route table pages
        s.sendall(request_bytes("GET", "/warm", H, [("Connection", "close")]))
        assert Reader(s).read_response().status == 200
    partial = f"GET /flood HTTP/1.1\r\nHost: {H}\r\nX-Pad: {'p' * 24000}".encode()

    def flood(count: int) -> tuple[list[socket.socket], int]:
        socks, peak = [], 0
        for i in range(count):
            s = socket.create_connection(("127.0.0.1", edge["plain_port"]), timeout=10)
            s.sendall(partial)
            socks.append(s)
            if i % 25 == 24:
                time.sleep(0.05)
                peak = max(peak, rss_bytes(pid))
        time.sleep(1)
        return socks, max(peak, rss_bytes(pid))

    def shed(s: socket.socket) -> bool:
        """Answered (503) and closed at once, or still waiting for the rest of its head."""
        poller = select.poll()
        poller.register(s, select.POLLIN)
        if not poller.poll(0):
            return False
        s.settimeout(5)
        head = s.recv(64)
        assert head.startswith(b"HTTP/1.1 503 "), head
        return True

    def finish_and_close(socks: list[socket.socket], check: int) -> None:
        for i, s in enumerate(socks):
            if i < check:   # the ones taken in are served when they finish
                s.sendall(b"\r\nConnection: close\r\n\r\n")
                assert Reader(s).read_response().status == 200
            s.close()
        wait_for(lambda: metrics(edge["admin_port"])['tenant_edge_active_connections{protocol="http1"}'] == 0, 30,
                 "the flood's connections to close")

    baseline = rss_bytes(pid)
    limit_mib = (baseline >> 20) + 8
    config = edge["config"].read_text()
    reload(edge, config + f"\nlimits: {{ max_memory_mib: {limit_mib} }}\n")
    wait_for(lambda: metrics(edge["admin_port"]).get("tenant_edge_memory_limit_bytes") == limit_mib << 20, 10,
             "the reloaded limit")
    socks, limited_peak = flood(2500)
    shed_count = sum(1 for s in socks if shed(s))
    assert shed_count > 0 and not shed(socks[0])
    assert limited_peak < (limit_mib + 12) << 20, (limited_peak >> 20, limit_mib)
    assert metrics(edge["admin_port"])['tenant_edge_requests_shed_total{reason="memory"}'] == shed_count
    finish_and_close(socks, 1)
    wait_for(lambda: metrics(edge["admin_port"]).get("tenant_edge_memory_overloaded") == 0, 30,
             "memory back under the limit once the clients left")
    with connect(edge["plain_port"]) as s:
        s.sendall(request_bytes("GET", "/between", H, [("Connection", "close")]))
        assert Reader(s).read_response().status == 200

    # The same flood without the limit: the bound above was the limit's doing.
    reload(edge, config)
    wait_for(lambda: metrics(edge["admin_port"]).get("tenant_edge_memory_limit_bytes") == 0, 10, "the limit lifted")
    socks, unlimited_peak = flood(2500)
    assert not any(shed(s) for s in socks)
    finish_and_close(socks, 20)
    assert unlimited_peak - baseline > 2 * (limited_peak - baseline), (
        unlimited_peak >> 20, limited_peak >> 20, baseline >> 20)
    with connect(edge["plain_port"]) as s:
        s.sendall(request_bytes("GET", "/after", H, [("Connection", "close")]))
        assert Reader(s).read_response().status == 200
