"""Zero-downtime binary upgrade under load (README, Operations): a second process starts
on the same traffic port (SO_REUSEPORT) with its own admin address (`--admin-listen`),
becomes ready, the old one gets SIGTERM and drains, and no client request fails.

The load is real clients on real sockets: threads that keep connections alive and
threads that open a new connection per request. A keep-alive client may retry a request
once when a *reused* connection ends before any byte of the response arrived, as
RFC 9112 section 9.3.1 allows and browsers and curl do (the server may close an idle
connection just as the client sends on it); a fresh connection gets no second chance."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import threading
import time
import urllib.request

import pytest

from helpers import PLATFORM, STORES, Reader, _die_with_parent, connect, edge_bin, free_port, request_bytes

LOAD_HOST = f"shop2.{PLATFORM}"


class Load:
    """Client threads sending GETs until stopped; every outcome is recorded."""

    def __init__(self, port: int, keepalive_threads: int = 3, fresh_threads: int = 3):
        self.port = port
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.ok = 0
        self.stale_retries = 0
        self.failures: list[str] = []
        self.t0 = time.monotonic()
        self.events: list[str] = []
        self.threads = [threading.Thread(target=self._keepalive, daemon=True) for _ in range(keepalive_threads)]
        self.threads += [threading.Thread(target=self._fresh, daemon=True) for _ in range(fresh_threads)]

    def start(self) -> "Load":
        for t in self.threads:
            t.start()
        return self

    def finish(self) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(30)

    def _record(self, ok: bool, what: str = "") -> None:
        with self.lock:
            if ok:
                self.ok += 1
            else:
                self.failures.append(f"{time.monotonic() - self.t0:.3f}s {what}")

    def event(self, what: str) -> None:
        with self.lock:
            self.events.append(f"{time.monotonic() - self.t0:.3f}s {what}")

    @staticmethod
    def _check(resp, n: int) -> str | None:
        if resp.status != 200:
            return f"status {resp.status}: {resp.body[:200]!r}"
        try:
            echoed = json.loads(resp.body)
        except ValueError:
            return f"not the echo backend's JSON: {resp.body[:200]!r}"
        if echoed.get("target") != f"/load/{n}":
            return f"answer for another request: {echoed.get('target')!r}"
        return None

    def _fresh(self) -> None:
        n = 0
        while not self.stop.is_set():
            n += 1
            try:
                with connect(self.port, timeout=10) as s:
                    s.sendall(request_bytes("GET", f"/load/{n}", LOAD_HOST, [("Connection", "close")]))
                    problem = self._check(Reader(s).read_response(), n)
            except (OSError, ConnectionError, AssertionError, ValueError) as exc:
                problem = f"new connection: {type(exc).__name__}: {exc}"
            self._record(problem is None, problem or "")

    def _keepalive(self) -> None:
        sock, reader, used, n = None, None, 0, 0
        while not self.stop.is_set():
            n += 1
            for attempt in (1, 2):
                try:
                    if sock is None:
                        sock = connect(self.port, timeout=10)
                        reader, used = Reader(sock), 0
                    received_before = len(reader.buf)
                    sock.sendall(request_bytes("GET", f"/load/{n}", LOAD_HOST))
                    try:
                        resp = reader.read_response()
                    except (OSError, ConnectionError) as exc:
                        nothing = not reader.buf and received_before == 0
                        if used > 0 and nothing and attempt == 1:
                            raise _StaleConnection() from exc
                        raise
                    used += 1
                    problem = self._check(resp, n)
                    if resp.header("Connection") and resp.header("Connection").lower() == "close":
                        sock.close()
                        sock = None
                    self._record(problem is None, problem or "")
                    break
                except _StaleConnection:
                    with self.lock:
                        self.stale_retries += 1
                    sock.close()
                    sock = None
                except (OSError, ConnectionError, AssertionError, ValueError) as exc:
                    self._record(False, f"keep-alive request {used + 1} on its connection: {type(exc).__name__}: {exc}")
                    if sock is not None:
                        sock.close()
                    sock = None
                    break
        if sock is not None:
            sock.close()


class _StaleConnection(Exception):
    pass


def admin_get(admin_port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{admin_port}{path}", timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


class NewBinary:
    """`tenant-edge serve` on the running config with its own admin address."""

    def __init__(self, config_path: str, env: dict, stderr_path: str):
        self.admin_port = free_port()
        self.stderr_path = stderr_path
        self._err = open(stderr_path, "wb")
        self.proc = subprocess.Popen(
            [edge_bin(), "serve", "--config", config_path, "--admin-listen", f"127.0.0.1:{self.admin_port}"],
            env=env, stdin=subprocess.DEVNULL, stdout=self._err, stderr=self._err, preexec_fn=_die_with_parent)

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"new process exited {self.proc.returncode}:\n{self.tail()}"
            try:
                if admin_get(self.admin_port, "/readyz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"new process not ready within {timeout}s:\n{self.tail()}")

    def tail(self) -> str:
        with open(self.stderr_path, errors="replace") as f:
            return "".join(f.readlines()[-40:])

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._err.close()


def load_lines(path: str) -> int:
    """Access log lines of the load's host in one process's output."""
    count = 0
    with open(path, errors="replace") as f:
        for line in f:
            if line.startswith("{") and '"host"' in line:
                entry = json.loads(line)
                if entry.get("host") == LOAD_HOST and "decision" in entry:
                    assert entry["store_id"] == STORES["shop2"]
                    count += 1
    return count


def test_binary_upgrade_under_load_fails_no_request(start_edge, tmp_path):
    old = start_edge(timeouts={"client_keepalive": 30})
    load = Load(old.port).start()
    processes: list[tuple[str, subprocess.Popen, str]] = [("A", old.proc.proc, old.proc.stderr_path)]
    started: list[NewBinary] = []
    try:
        time.sleep(1.0)
        # Three upgrades in a row: A -> B -> C -> D, each under the same load.
        for name in "BCD":
            new = NewBinary(old.config_path, old.env, str(tmp_path / f"{name}.stderr"))
            load.event(f"{name} started")
            started.append(new)
            new.wait_ready()
            load.event(f"{name} ready")
            time.sleep(1.0)   # both serve: the kernel spreads new connections over both
            previous_name, previous, previous_log = processes[-1]
            load.event(f"SIGTERM to {previous_name}")
            previous.send_signal(signal.SIGTERM)
            assert previous.wait(40) == 0, f"old process exit status {previous.returncode}"
            load.event(f"{previous_name} exited")
            processes.append((name, new.proc, new.stderr_path))
            time.sleep(1.0)
    finally:
        load.finish()
        for p in started[:-1]:
            p.stop()
    try:
        assert not load.failures, (
            f"{len(load.failures)} of {load.ok + len(load.failures)} requests failed during the upgrades; "
            f"first: {load.failures[:5]}; events: {load.events}")
        assert load.ok > 200, f"too little load to say anything: {load.ok} requests"
        # The last process is serving on its own.
        with connect(old.port) as s:
            s.sendall(request_bytes("GET", "/load/0", LOAD_HOST, [("Connection", "close")]))
            assert Reader(s).read_response().status == 200
    finally:
        started[-1].stop()   # flushes its access log
    assert started[-1].proc.returncode == 0
    served = {name: load_lines(path) for name, _, path in processes}
    assert all(count > 0 for count in served.values()), f"access log lines per process: {served}"
    assert sum(served.values()) >= load.ok, (served, load.ok)
    print(f"upgrade under load: {load.ok} requests, {load.stale_retries} keep-alive retries, per process {served}")
