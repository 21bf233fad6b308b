"""Faults on the far side of the proxy (issue 8): a backend that refuses, resets,
stalls or answers with broken heads and lying Content-Lengths, and a master database
that drops the feed's LISTEN session, is slow, or a snapshot that cannot be written.
Nothing crashes, the right status comes back, a broken exchange closes the client
connection and never leaves its upstream connection in the pool, and every request
the backend gets carries the store of its own Host.

Already covered elsewhere and not repeated: a dead backend port (502) and a backend
slower than upstream_header (504) in test_upstream_errors.py; PostgreSQL stopped and
restarted, one pg_terminate_backend, restart from the snapshot in test_live_updates.py."""

from __future__ import annotations

import itertools
import json
import os
import signal
import socket
import struct
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest

from conftest import _psql, edge_env
from helpers import (PLATFORM, STORES, EdgeProcess, Reader, config_yaml, connect, free_port, marker,
                     request_bytes)

HOSTS = {"www.shop1.test": "shop1", "shop2.example.test": "shop2", f"shop1.{PLATFORM}": "shop1"}
TEST_HOSTS = ["www.shop1.test", "shop2.example.test"]


class FaultBackend:
    """A raw-socket backend whose path picks the fault. Records every request with the
    connection it came on, so tests can prove a connection was not reused."""

    def __init__(self):
        self.lsock = socket.socket()
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(256)
        self.port = self.lsock.getsockname()[1]
        self.lock = threading.Lock()
        self.ids = itertools.count(1)
        self.connections = 0
        self.requests: list[dict] = []
        self.stopped = False
        self.open: set[socket.socket] = set()
        threading.Thread(target=self._accept, daemon=True).start()

    def stop(self):
        """Stops listening and closes every connection, kept-alive ones included."""
        self.stopped = True
        try:
            self.lsock.shutdown(socket.SHUT_RDWR)   # wakes the blocked accept(); close alone does not
        except OSError:
            pass
        self.lsock.close()
        with self.lock:
            socks = list(self.open)
        for sock in socks:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _accept(self):
        while not self.stopped:
            try:
                sock, _ = self.lsock.accept()
            except OSError:
                return
            with self.lock:
                self.connections += 1
                self.open.add(sock)
            threading.Thread(target=self._serve, args=(sock, next(self.ids)), daemon=True).start()

    def after(self, m: str) -> list[dict]:
        with self.lock:
            return [r for r in self.requests if m in r["target"]]

    def _serve(self, sock: socket.socket, conn_id: int):
        buf = b""
        try:
            while True:
                while b"\r\n\r\n" not in buf:
                    data = sock.recv(65536)
                    if not data:
                        return
                    buf += data
                head, _, buf = buf.partition(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ")
                headers = [(n, v.strip()) for n, _, v in (ln.partition(":") for ln in lines[1:])]
                get = lambda name: [v for n, v in headers if n.lower() == name]
                length = int(get("content-length")[0]) if get("content-length") else 0
                while len(buf) < length:
                    buf += sock.recv(65536)
                buf = buf[length:]
                rec = {"conn_id": conn_id, "target": target, "host": get("host"), "store_id": get("x-store-id")}
                with self.lock:
                    self.requests.append(rec)
                if not self._answer(sock, target, rec):
                    return
        except OSError:
            return
        finally:
            with self.lock:
                self.open.discard(sock)
            try:
                sock.close()
            except OSError:
                pass

    @staticmethod
    def _reset(sock: socket.socket):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()

    def _answer(self, sock: socket.socket, target: str, rec: dict) -> bool:
        """Returns whether the connection stays open for another request."""
        path = target.split("?")[0].rsplit("/", 1)[-1]
        body = json.dumps(rec).encode()
        ok = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body
        if path == "close-at-once":
            sock.close()
            return False
        if path == "reset-at-once":
            self._reset(sock)
            return False
        if path == "reset-mid-body":
            sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + b"r" * 5000)
            time.sleep(0.2)
            self._reset(sock)
            return False
        if path == "reset-mid-head":
            sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Le")
            time.sleep(0.2)
            self._reset(sock)
            return False
        if path == "stall":
            time.sleep(30)
            return False
        if path == "stall-body":
            sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + b"s" * 10)
            time.sleep(30)
            return False
        if path == "malformed-status":
            sock.sendall(b"HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n")
            return True
        if path == "not-http":
            sock.sendall(b"SSH-2.0-OpenSSH_9.6\r\n\r\n")
            return True
        if path == "bad-header":
            sock.sendall(b"HTTP/1.1 200 OK\r\nX Bad: v\r\nContent-Length: 0\r\n\r\n")
            return True
        if path == "two-lengths":
            sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 30\r\n\r\nabc")
            return True
        if path == "oversized-head":
            sock.sendall(b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-H%d: %s\r\n" % (i, b"h" * 1000) for i in range(200))
                         + b"Content-Length: 0\r\n\r\n")
            return True
        if path == "bare-lf-head":
            sock.sendall(b"HTTP/1.1 200 OK\nContent-Length: 2\n\nok")
            return True
        if path == "short-body":  # promises 1000, sends 10, closes
            sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + b"t" * 10)
            return False
        if path == "short-chunked":  # a chunk cut short, then close
            sock.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n64\r\n" + b"c" * 10)
            return False
        if path in ("long-body", "long-body-later"):  # promises 5, sends 5 and a whole second response
            poison = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 26\r\n\r\n" \
                     b'{"poison": "wrong store!"}'
            if path == "long-body":
                sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello" + poison)
            else:
                sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")
                time.sleep(0.3)
                sock.sendall(poison)
            return True  # keeps reading: a reused connection would be answered again
        sock.sendall(ok)
        return True


@pytest.fixture(scope="module")
def fault():
    backend = FaultBackend()
    yield backend
    backend.stop()


@pytest.fixture(scope="module")
def fedge(start_edge, fault):
    return start_edge(default_port=fault.port, timeouts={"upstream_header": 2, "body_idle": 3})


def check_stores(fault: FaultBackend) -> None:
    """Never a request for the wrong store: every request the backend got carries the
    store id of its own Host."""
    with fault.lock:
        recs = list(fault.requests)
    for r in recs:
        assert len(r["host"]) == 1 and len(r["store_id"]) == 1, r
        assert r["store_id"][0] == STORES[HOSTS[r["host"][0]]], r


def normal(fedge, fault, host: str = "shop2.example.test") -> dict:
    m = marker("normal")
    with connect(fedge.port) as s:
        s.sendall(request_bytes("GET", f"/{m}/ok", host))
        resp = Reader(s).read_response()
    assert resp.status == 200, resp.describe()
    echo = resp.json()
    assert echo["store_id"] == [STORES[HOSTS[host]]] and echo["target"] == f"/{m}/ok", echo
    return echo


def ask(fedge, path: str, host: str = "www.shop1.test"):
    """One request on a fresh connection: (response or None, closed after, socket reader)."""
    s = connect(fedge.port, timeout=20)
    s.sendall(request_bytes("GET", path, host))
    reader = Reader(s)
    try:
        resp = reader.read_response()
    except (ConnectionError, OSError):
        resp = None
    return resp, s, reader


@pytest.mark.parametrize("fault_path,status", [
    ("close-at-once", 502), ("reset-at-once", 502), ("reset-mid-head", 502),
    ("malformed-status", 502), ("not-http", 502), ("bad-header", 502), ("two-lengths", 502),
    ("oversized-head", 502), ("bare-lf-head", 502), ("stall", 504),
])
def test_broken_upstream_answer_is_a_gateway_error_and_its_connection_is_dropped(fedge, fault, fault_path, status):
    m = marker(fault_path)
    resp, s, reader = ask(fedge, f"/{m}/{fault_path}")
    try:
        assert resp is not None and resp.status == status, resp and resp.describe()
    finally:
        s.close()
    broken = fault.after(m)
    # A GET that failed on a kept-alive upstream connection may be retried once on a new
    # one (the backend may have closed the idle connection just then), never more, and
    # never on the same connection.
    assert 1 <= len(broken) <= 2 and len({b["conn_id"] for b in broken}) == len(broken), broken
    # The next requests never land on the connection of a broken exchange.
    for _ in range(3):
        echo = normal(fedge, fault)
        assert echo["conn_id"] not in {b["conn_id"] for b in broken}, \
            f"upstream connection {echo['conn_id']} reused after {fault_path}"
    check_stores(fault)
    assert fedge.proc.alive()


@pytest.mark.parametrize("fault_path", ["reset-mid-body", "short-body", "short-chunked", "stall-body"])
def test_body_cut_short_upstream_closes_the_client_connection(fedge, fault, fault_path):
    """The head is already with the client: the only honest signal left is closing the
    connection before the promised length, never keeping it for another request."""
    m = marker(fault_path)
    with connect(fedge.port, timeout=20) as s:
        s.sendall(request_bytes("GET", f"/{m}/{fault_path}", "www.shop1.test"))
        reader = Reader(s)
        version, status, _, headers = reader.read_head()
        assert status == 200
        promised = [v for n, v in headers if n.lower() == "content-length"]
        assert reader.at_eof(15), f"{fault_path}: the client connection stayed open after a cut body"
        got = len(reader.buf)
        if promised:
            assert got < int(promised[0]), f"{fault_path}: got {got} of {promised[0]} bytes yet framing completed"
        else:  # chunked: the terminating chunk must never have been sent
            assert not bytes(reader.buf).endswith(b"0\r\n\r\n")
    broken = fault.after(m)
    echo = normal(fedge, fault)
    assert echo["conn_id"] != broken[0]["conn_id"]
    check_stores(fault)


@pytest.mark.parametrize("fault_path", ["long-body", "long-body-later"])
def test_body_longer_than_its_length_never_answers_the_next_request(fedge, fault, fault_path):
    """5 bytes promised, then a whole extra response: a proxy that reuses that upstream
    connection would hand the extra response to the next client (another store)."""
    m = marker(fault_path)
    with connect(fedge.port, timeout=20) as s:
        s.sendall(request_bytes("GET", f"/{m}/{fault_path}", "www.shop1.test"))
        reader = Reader(s)
        first = reader.read_response()
        assert first.status == 200 and first.body == b"hello", first.describe()
        time.sleep(0.6)  # let the extra bytes arrive before the next request
        try:
            s.sendall(request_bytes("GET", f"/{m}/next/ok", "shop2.example.test"))
            second = reader.read_response()
        except (ConnectionError, OSError):
            second = None  # closing the client connection is also correct
        if second is not None:
            assert b"poison" not in second.body, "the extra bytes were delivered as the next response"
            assert second.json()["target"] == f"/{m}/next/ok"
    broken = fault.after(f"{m}/{fault_path}")
    for _ in range(4):
        echo = normal(fedge, fault)
        assert echo["conn_id"] != broken[0]["conn_id"], "the upstream connection that sent extra bytes was reused"
    check_stores(fault)


def test_alternating_faults_and_stores_never_cross(fedge, fault):
    """Faults interleaved with good requests for two stores on kept-alive client
    connections: every good answer is its own request's, for its own store."""
    m = marker("mix")
    faults = ["reset-at-once", "long-body", "malformed-status", "short-body", "close-at-once"]
    for i in range(15):
        host = TEST_HOSTS[i % 2]
        resp, s, _ = ask(fedge, f"/{m}/{i}/{faults[i % len(faults)]}", host)
        s.close()
        echo = normal(fedge, fault, host)
        assert echo["store_id"] == [STORES[HOSTS[host]]]
    check_stores(fault)
    assert fedge.proc.alive()


def test_backend_refusing_after_restart_recovers(start_edge):
    """The backend goes away (connections refused), then comes back on the same port:
    502 while it is gone, served again after."""
    backend = FaultBackend()
    port = backend.port
    edge = start_edge(default_port=port)
    assert normal(edge, backend)["store_id"] == [STORES["shop2"]]
    backend.stop()
    time.sleep(0.2)
    resp, s, _ = ask(edge, "/gone")
    s.close()
    assert resp is not None and resp.status == 502, resp and resp.describe()
    back = FaultBackend.__new__(FaultBackend)
    back.lsock = socket.socket()
    back.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    back.lsock.bind(("127.0.0.1", port))
    back.lsock.listen(64)
    back.port, back.lock, back.ids = port, threading.Lock(), itertools.count(1)
    back.connections, back.requests, back.stopped, back.open = 0, [], False, set()
    threading.Thread(target=back._accept, daemon=True).start()
    try:
        normal(edge, back)
        check_stores(back)
    finally:
        back.stop()


# ---------------------------------------------------------------------------
# The master database

def wait_status(port: int, host: str, expected: int, timeout: float = 15) -> None:
    deadline, last = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        with connect(port) as s:
            s.sendall(request_bytes("GET", "/", host, [("Connection", "close")]))
            last = Reader(s).read_response().status
        if last == expected:
            return
        time.sleep(0.05)
    raise AssertionError(f"{host}: expected {expected} within {timeout}s, last {last}")


def add_host(url: str, slug: str, hostname: str) -> None:
    _psql(url, "-c", f"INSERT INTO store_hostnames (store_id, hostname) "
                     f"SELECT id, '{hostname}' FROM stores WHERE slug = '{slug}'")


def test_listen_connection_killed_repeatedly_while_serving(edge, database):
    """pg_terminate_backend on the feed's session five times in a row, with changes in
    between: requests keep being served throughout and every change lands."""
    names = []
    for i in range(5):
        _psql(database, "-c", "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE application_name = 'tenant-edge' AND datname = current_database()")
        name = f"kill{i}-{uuid.uuid4().hex[:8]}.test"
        add_host(database, "shop2", name)
        names.append(name)
        with connect(edge.port) as s:  # served while the feed reconnects
            s.sendall(request_bytes("GET", "/during", "www.shop1.test", [("Connection", "close")]))
            assert Reader(s).read_response().status == 200
        time.sleep(0.3)
    for name in names:
        wait_status(edge.port, name, 200)
    assert edge.proc.alive()


def test_slow_database_does_not_stall_serving(edge, database):
    """A full resync (SIGHUP) against tables locked for 4 s: traffic is served during
    the wait from the current map, and the change behind the lock lands after."""
    name = f"slow-{uuid.uuid4().hex[:8]}.test"
    locker = subprocess.Popen(
        ["psql", "-X", "-q", "-d", database, "-c",
         "BEGIN; LOCK TABLE stores, store_hostnames IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(4); "
         f"INSERT INTO store_hostnames (store_id, hostname) SELECT id, '{name}' FROM stores WHERE slug = 'shop1'; "
         "COMMIT;"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        time.sleep(0.5)
        edge.proc.proc.send_signal(signal.SIGHUP)
        served = 0
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            with connect(edge.port, timeout=5) as s:
                s.sendall(request_bytes("GET", "/while-locked", "shop2.example.test", [("Connection", "close")]))
                resp = Reader(s).read_response()
            assert resp.status == 200, resp.describe()
            served += 1
        assert served > 0
        assert locker.wait(30) == 0, locker.stderr.read()
    finally:
        if locker.poll() is None:
            locker.kill()
    wait_status(edge.port, name, 200)
    assert edge.proc.alive()


def _tiny_tmpfs(path: Path) -> bool:
    path.mkdir()
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=12k", "tmpfs", str(path)], capture_output=True)
    return proc.returncode == 0


def test_snapshot_write_failure_keeps_serving_and_logs(tmp_path, database, backends):
    """The snapshot cannot be written (a full 12 KiB tmpfs if we may mount one, else a
    path under a regular file, which fails even for root): the proxy starts, serves,
    applies live changes, and logs the write error."""
    full = tmp_path / "full"
    mounted = _tiny_tmpfs(full)
    if mounted:
        # Fill it: whatever the snapshot needs, no byte is left.
        subprocess.run(["dd", "if=/dev/zero", f"of={full}/filler", "bs=1k", "count=64"], capture_output=True)
        snapshot = full / "routes.json"
    else:
        (tmp_path / "not-a-dir").write_text("a file, so nothing can be created under it\n")
        snapshot = tmp_path / "not-a-dir" / "routes.json"
    port, admin = free_port(), free_port()
    config = tmp_path / "tenant-edge.yaml"
    config.write_text(config_yaml(port, admin, backends["default"].port, backends["api"].port, str(snapshot)))
    proc = EdgeProcess(str(config), edge_env(database), port, str(tmp_path))
    try:
        proc.start()
        with connect(port) as s:
            s.sendall(request_bytes("GET", "/snap", "www.shop1.test", [("Connection", "close")]))
            assert Reader(s).read_response().status == 200
        name = f"snap-{uuid.uuid4().hex[:8]}.test"
        add_host(database, "shop2", name)
        wait_status(port, name, 200)
        assert proc.alive()
        log = Path(proc.stderr_path).read_text(errors="replace")
        assert "cannot write route snapshot" in log, log[-2000:]
        if mounted:
            assert "No space left" in log or "ENOSPC" in log or "28" in log, log[-2000:]
        assert not snapshot.exists() or snapshot.stat().st_size == 0 or json.loads(snapshot.read_text())
    finally:
        proc.stop()
        if mounted:
            subprocess.run(["umount", str(full)], capture_output=True)
