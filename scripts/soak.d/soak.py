"""Soak driver for scripts/soak (issue 8): mixed load against a real proxy while routes
change every second and SIGHUP arrives every 10 s; then a verdict.

Load: HTTP/1.1 keep-alive clients, new-connection clients, uploads, WebSocket-style
Upgrade tunnels (the echo backend echoes after 101), and HTTP/2 over TLS via h2load.
Every HTTP/1.1 answer is checked against the store of its Host (X-Store-Id seen by
the backend); churned hostnames are checked once they are old enough to be applied.

Reuses Tests/e2e (echo backend, config, certificates). Needs TE_SOAK_DB (a database
with the platform schema and demo stores) and a built binary (TENANT_EDGE_BIN)."""

from __future__ import annotations

import hashlib
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "Tests" / "e2e"))

from echo_backend import EchoBackend  # noqa: E402
from helpers import PLATFORM, STORES, Reader, connect, request_bytes  # noqa: E402
from tls_certs import start_tls_edge  # noqa: E402

FIXED = [("www.shop1.test", "shop1"), ("shop2.example.test", "shop2"), (f"demo1.{PLATFORM}", "demo1"),
         (f"shop2.{PLATFORM}", "shop2")]


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.ok: dict[str, int] = {}
        self.failed: list[str] = []
        self.wrong_store: list[str] = []

    def good(self, kind: str) -> None:
        with self.lock:
            self.ok[kind] = self.ok.get(kind, 0) + 1

    def fail(self, kind: str, what: str) -> None:
        with self.lock:
            self.failed.append(f"{kind}: {what}")

    def wrong(self, kind: str, what: str) -> None:
        with self.lock:
            self.wrong_store.append(f"{kind}: {what}")


def store_id_of(resp) -> list[str]:
    return [v for n, v in resp.json()["headers"] if n.lower() == "x-store-id"]


def check(t: Tally, kind: str, resp, slug_id: str, target: str) -> None:
    if resp.status != 200:
        t.fail(kind, f"{target}: status {resp.status}")
        return
    got = store_id_of(resp)
    if got != [slug_id] or resp.json()["target"] != target:
        t.wrong(kind, f"{target}: expected store {slug_id}, got {got} for {resp.json()['target']}")
        return
    t.good(kind)


def keepalive_client(port: int, t: Tally, stop: threading.Event, n: int) -> None:
    rnd = random.Random(n)
    while not stop.is_set():
        try:
            with connect(port) as s:
                reader = Reader(s)
                for i in range(rnd.randint(20, 200)):
                    if stop.is_set():
                        break
                    host, slug = rnd.choice(FIXED)
                    target = f"/ka/{n}/{i}"
                    s.sendall(request_bytes("GET", target, host))
                    check(t, "h1-keepalive", reader.read_response(), STORES[slug], target)
        except (OSError, ConnectionError, ValueError) as exc:
            if not stop.is_set():
                t.fail("h1-keepalive", repr(exc))


def new_conn_client(port: int, t: Tally, stop: threading.Event, n: int) -> None:
    i = 0
    while not stop.is_set():
        host, slug = FIXED[i % len(FIXED)]
        target = f"/new/{n}/{i}"
        try:
            with connect(port) as s:
                s.sendall(request_bytes("GET", target, host, [("Connection", "close")]))
                check(t, "h1-new-conn", Reader(s).read_response(), STORES[slug], target)
        except (OSError, ConnectionError, ValueError) as exc:
            t.fail("h1-new-conn", repr(exc))
        i += 1


def upload_client(port: int, t: Tally, stop: threading.Event) -> None:
    i = 0
    while not stop.is_set():
        body = os.urandom(random.choice([1, 1000, 65536, 300_000]))
        chunked = i % 2 == 1
        target = f"/up/{i}"
        try:
            with connect(port) as s:
                if chunked:
                    raw = request_bytes("POST", target, "www.shop1.test", [("Transfer-Encoding", "chunked")],
                                        body=b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n")
                else:
                    raw = request_bytes("POST", target, "www.shop1.test", body=body)
                s.sendall(raw)
                resp = Reader(s).read_response("POST")
                check(t, "upload", resp, STORES["shop1"], target)
                if resp.status == 200 and resp.json()["body_sha256"] != hashlib.sha256(body).hexdigest():
                    t.fail("upload", f"{target}: body changed on the way")
        except (OSError, ConnectionError, ValueError) as exc:
            t.fail("upload", repr(exc))
        i += 1


def websocket_client(port: int, t: Tally, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            with connect(port) as s:
                s.sendall(request_bytes("GET", "/ws", "shop2.example.test", [
                    ("Upgrade", "websocket"), ("Connection", "Upgrade"),
                    ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="), ("Sec-WebSocket-Version", "13")]))
                reader = Reader(s)
                resp = reader.read_response(skip_interim=False)
                if resp.status != 101:
                    t.fail("websocket", f"status {resp.status}")
                    continue
                leftover = bytes(reader.buf)
                for _ in range(20):
                    payload = os.urandom(random.randint(1, 20000))
                    s.sendall(payload)
                    got = bytearray(leftover)
                    leftover = b""
                    while len(got) < len(payload):
                        chunk = s.recv(65536)
                        if not chunk:
                            raise ConnectionError("tunnel closed")
                        got += chunk
                    if bytes(got) != payload:
                        t.wrong("websocket", "tunnel returned other bytes")
                        break
                    t.good("websocket-message")
        except (OSError, ConnectionError, ValueError) as exc:
            if not stop.is_set():
                t.fail("websocket", repr(exc))


def h2_client(tls_port: int, ca: str, t: Tally, stop: threading.Event) -> None:
    while not stop.is_set():
        proc = subprocess.run(["h2load", "-n", "2000", "-c", "4", "-m", "10", "-H", ":authority: www.shop1.test",
                               f"https://127.0.0.1:{tls_port}/h2"], capture_output=True, text=True, timeout=120,
                              env={**os.environ, "SSL_CERT_FILE": ca})
        m = re.search(r"requests: (\d+) total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed, (\d+) errored",
                      proc.stdout)
        codes = re.search(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", proc.stdout)
        if not m or not codes or proc.returncode != 0:
            t.fail("h2", f"h2load exit {proc.returncode}: {proc.stdout[-300:]} {proc.stderr[-300:]}")
            continue
        bad = int(m.group(3)) + int(m.group(4)) + sum(int(codes.group(i)) for i in (2, 3, 4))
        with t.lock:
            t.ok["h2"] = t.ok.get("h2", 0) + int(codes.group(1))
        if bad:
            t.fail("h2", f"{bad} of {m.group(1)} h2 requests not 2xx")


def psql(db: str, sql: str) -> None:
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db, "-c", sql], check=True,
                   capture_output=True, timeout=60)


def churn(db: str, port: int, t: Tally, stop: threading.Event) -> None:
    """Every second: insert a fresh hostname (alternately shop1's and shop2's), delete
    the one from 4 s ago; check the one from 2 s ago routes to its own store and the
    deleted one from 6 s ago is gone."""
    live: list[tuple[str, str, float]] = []
    deleted: list[tuple[str, float]] = []
    i = 0
    tag = uuid.uuid4().hex[:6]
    while not stop.is_set():
        slug = "shop1" if i % 2 == 0 else "shop2"
        host = f"churn-{tag}-{i}.test"
        try:
            psql(db, f"INSERT INTO store_hostnames (store_id, hostname) SELECT id, '{host}' FROM stores "
                     f"WHERE slug = '{slug}'")
            live.append((host, slug, time.monotonic()))
            while live and time.monotonic() - live[0][2] > 4:
                old, _, _ = live.pop(0)
                psql(db, f"DELETE FROM store_hostnames WHERE hostname = '{old}'")
                deleted.append((old, time.monotonic()))
            for host_, slug_, at in live:
                if time.monotonic() - at >= 2:
                    target = f"/churn/{i}"
                    with connect(port) as s:
                        s.sendall(request_bytes("GET", target, host_, [("Connection", "close")]))
                        check(t, "churned-host", Reader(s).read_response(), STORES[slug_], target)
            for host_, at in deleted:
                if 2 <= time.monotonic() - at < 3:
                    with connect(port) as s:
                        s.sendall(request_bytes("GET", "/gone", host_, [("Connection", "close")]))
                        status = Reader(s).read_response().status
                    if status != 404:
                        t.fail("deleted-host", f"{host_} deleted 2 s ago answered {status}")
                    else:
                        t.good("deleted-host")
        except (OSError, ConnectionError, ValueError, subprocess.SubprocessError) as exc:
            t.fail("churn", repr(exc))
        i += 1
        stop.wait(1.0)


def sighup(pid: int, t: Tally, stop: threading.Event) -> None:
    while not stop.wait(10):
        os.kill(pid, signal.SIGHUP)
        t.good("sighup")


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return -1


def fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def fd_kinds(pid: int, client_ports: set[int], backend_ports: set[int]) -> dict[str, int]:
    """The proxy's descriptors by kind: client connections (local port is a listener's),
    upstream connections (remote port is a backend's; idle ones stay pooled for
    upstream_idle, 60 s), and everything else (listeners, epoll, eventfds, files, the
    database session), which must not grow."""
    sockets: dict[str, tuple[int, int, str]] = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            f = line.split()
            local, remote, state, inode = f[1], f[2], f[3], f[9]
            sockets[inode] = (int(local.rsplit(":", 1)[1], 16), int(remote.rsplit(":", 1)[1], 16), state)
    kinds = {"client": 0, "upstream": 0, "other": 0}
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        inode = target[8:-1] if target.startswith("socket:[") else None
        sock = sockets.get(inode) if inode else None
        if sock and sock[2] != "0A" and sock[0] in client_ports:   # 0A: LISTEN
            kinds["client"] += 1
        elif sock and sock[1] in backend_ports:
            kinds["upstream"] += 1
        else:
            kinds["other"] += 1
    return kinds


def main() -> int:
    minutes = float(sys.argv[1]) if len(sys.argv) > 1 else 2.0
    db = os.environ["TE_SOAK_DB"]
    work = Path(tempfile.mkdtemp(prefix="tenant-edge-soak-"))
    default, api = EchoBackend("default", keep=10_000).start(), EchoBackend("api", keep=10_000).start()
    edge = start_tls_edge(work, db, {"default": default, "api": api})
    proc, port, tls_port = edge["proc"], edge["proc"].port, edge["port"]
    pid = proc.proc.pid
    t = Tally()
    try:
        # Warm-up (pools, route map), then the baseline at a quiet moment.
        for i in range(200):
            with connect(port) as s:
                s.sendall(request_bytes("GET", f"/warm/{i}", "www.shop1.test", [("Connection", "close")]))
                Reader(s).read_response()
        time.sleep(2)
        client_ports, backend_ports = {port, tls_port}, {default.port, api.port}
        rss0, fds0 = rss_kib(pid), fds(pid)
        kinds0 = fd_kinds(pid, client_ports, backend_ports)
        print(f"soak: {minutes} min, proxy pid {pid}, http :{port}, https/h2 :{tls_port}", flush=True)
        stop = threading.Event()
        threads = [threading.Thread(target=keepalive_client, args=(port, t, stop, n)) for n in range(4)]
        threads += [threading.Thread(target=new_conn_client, args=(port, t, stop, n)) for n in range(2)]
        threads += [threading.Thread(target=upload_client, args=(port, t, stop)),
                    threading.Thread(target=websocket_client, args=(port, t, stop)),
                    threading.Thread(target=h2_client, args=(tls_port, str(edge["ca"].cert), t, stop)),
                    threading.Thread(target=churn, args=(db, port, t, stop)),
                    threading.Thread(target=sighup, args=(pid, t, stop))]
        for th in threads:
            th.start()
        end = time.monotonic() + minutes * 60
        rss_peak = rss0
        while time.monotonic() < end and proc.alive():
            time.sleep(5)
            rss_peak = max(rss_peak, rss_kib(pid))
            with t.lock:
                print(f"  {int(end - time.monotonic()):4d}s left: ok {sum(t.ok.values())}, failed {len(t.failed)}, "
                      f"wrong store {len(t.wrong_store)}, rss {rss_kib(pid)} KiB, fds {fds(pid)}", flush=True)
        stop.set()
        for th in threads:
            th.join(150)
        alive = proc.alive()
        time.sleep(3)  # let closed clients' connections go
        rss1, fds1 = (rss_kib(pid), fds(pid)) if alive else (-1, -1)
        kinds1 = fd_kinds(pid, client_ports, backend_ports) if alive else {}
    finally:
        stop_code = proc.stop()
        default.stop()
        api.stop()
    print("\nsoak results")
    print(f"  requests ok by kind:  {dict(sorted(t.ok.items()))}")
    print(f"  failed requests:      {len(t.failed)}")
    for line in t.failed[:20]:
        print(f"    {line}")
    print(f"  wrong-store answers:  {len(t.wrong_store)}")
    for line in t.wrong_store[:20]:
        print(f"    {line}")
    print(f"  RSS KiB start/end:    {rss0} / {rss1} (peak {rss_peak})")
    print(f"  open fds start/end:   {fds0} / {fds1}  (by kind {kinds0} / {kinds1}; "
          "idle upstream connections stay pooled for upstream_idle)")
    print(f"  proxy alive at end:   {alive} (exit status after SIGTERM {stop_code})")
    problems = []
    if t.failed:
        problems.append("failed requests")
    if t.wrong_store:
        problems.append("wrong-store deliveries")
    if not alive:
        problems.append("the proxy died")
    if kinds1.get("client", 0) > 0:
        problems.append(f"{kinds1['client']} client connections still open after every client closed")
    if kinds1.get("other", 0) > kinds0.get("other", 0) + 2:
        problems.append(f"non-connection descriptors grew from {kinds0.get('other')} to {kinds1.get('other')}")
    if kinds1.get("upstream", 0) > 256:
        problems.append(f"{kinds1['upstream']} upstream connections pooled (load used at most ~60 at once)")
    if rss1 > rss0 * 1.5 + 32 * 1024:
        problems.append(f"RSS grew from {rss0} to {rss1} KiB")
    print("  verdict:              " + ("PASS" if not problems else "FAIL: " + ", ".join(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
