"""Client-side helpers for the end-to-end tests: curl, a raw HTTP/1.1 reader, the
token check, the tenant-edge process and its config. Python stdlib only."""

from __future__ import annotations

import base64
import ctypes
import dataclasses
import hashlib
import hmac
import json
import os
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SECRET = "e2e-tenant-context-secret-please-change"
PLATFORM = "platform.test"
PASSTHROUGH = "api.platform.test"

# Demo rows (config/sql/demo_data.sql): slug -> store id.
STORES = {
    "shop1": "00000000-0000-4000-8000-000000000001",
    "shop2": "00000000-0000-4000-8000-000000000002",
    "demo1": "00000000-0000-4000-8000-000000000003",
    "pending1": "00000000-0000-4000-8000-000000000004",
    "provisioning1": "00000000-0000-4000-8000-000000000005",
    "provisioned1": "00000000-0000-4000-8000-000000000006",
    "suspended1": "00000000-0000-4000-8000-000000000007",
    "closed1": "00000000-0000-4000-8000-000000000008",
    "archived1": "00000000-0000-4000-8000-000000000009",
    "offline1": "00000000-0000-4000-8000-00000000000a",
}


_handed_out: set[int] = set()


def free_port() -> int:
    """A free loopback port, never the same one twice in a test run: two calls in a row
    can get the same number back from the kernel, and the proxy's SO_REUSEPORT listeners
    would then share it (a flaky 404 from the admin listener on the traffic port)."""
    while True:
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        if port not in _handed_out:
            _handed_out.add(port)
            return port


def marker(tag: str = "m") -> str:
    """A unique string to find (or not find) a request in the backend's log."""
    return f"{tag}-{os.getpid()}-{time.monotonic_ns()}"


# ---------------------------------------------------------------------------
# Responses

@dataclasses.dataclass
class Response:
    status: int
    reason: str
    version: str
    headers: list[tuple[str, str]]
    body: bytes
    interim: list[int] = dataclasses.field(default_factory=list)

    def header(self, name: str) -> str | None:
        vals = self.headers_named(name)
        return vals[0] if vals else None

    def headers_named(self, name: str) -> list[str]:
        return [v for n, v in self.headers if n.lower() == name.lower()]

    def json(self):
        return json.loads(self.body)

    def describe(self) -> str:
        return f"{self.status} {self.reason} {self.headers} {self.body[:300]!r}"


# ---------------------------------------------------------------------------
# curl

def curl(url: str, *args: str, timeout: float = 60, input_file: str | None = None) -> Response:
    """Runs curl and returns the final response (interim 1xx recorded in `interim`)."""
    with tempfile.TemporaryDirectory(prefix="te-curl-") as tmp:
        hdr, body = os.path.join(tmp, "h"), os.path.join(tmp, "b")
        cmd = ["curl", "-sS", "--noproxy", "*", "--max-time", str(timeout), "-D", hdr, "-o", body,
               *args, url]
        proc = subprocess.run(cmd, capture_output=True, timeout=timeout + 10)
        if proc.returncode != 0:
            raise AssertionError(f"curl failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr.decode(errors='replace')}")
        blocks = [b for b in Path(hdr).read_bytes().decode("latin-1").split("\r\n\r\n") if b.strip()]
        interim, final = [], None
        for block in blocks:
            lines = block.split("\r\n")
            version, _, rest = lines[0].partition(" ")
            code, _, reason = rest.partition(" ")
            headers = []
            for line in lines[1:]:
                n, _, v = line.partition(":")
                headers.append((n, v.strip()))
            final = (int(code), reason, version, headers)
            if int(code) < 200 and int(code) != 101:
                interim.append(int(code))
        assert final is not None, "curl returned no response head"
        return Response(final[0], final[1], final[2], final[3], Path(body).read_bytes(), interim)


def curl_host(port: int, host: str, path: str = "/", *args: str, **kw) -> Response:
    return curl(f"http://127.0.0.1:{port}{path}", "-H", f"Host: {host}", *args, **kw)


# ---------------------------------------------------------------------------
# Raw sockets

def read_until_closed(s: socket.socket, too_long: str) -> bytes:
    """Everything the peer sends until it closes (a reset counts as closed); a timeout of the
    socket fails the test with `too_long`."""
    import pytest
    data = b""
    try:
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    except socket.timeout:
        pytest.fail(too_long)
    except ConnectionResetError:
        pass
    return data


def connect(port: int, timeout: float = 15) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def request_bytes(method: str, target: str, host: str | None, headers=(), body: bytes = b"") -> bytes:
    lines = [f"{method} {target} HTTP/1.1"]
    if host is not None:
        lines.append(f"Host: {host}")
    lines += [f"{n}: {v}" for n, v in headers]
    if body and not any(n.lower() in ("content-length", "transfer-encoding") for n, _ in headers):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class Reader:
    """Reads HTTP/1.1 responses from a socket, with body framing as RFC 9112 section 6.3 says."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.buf = bytearray()
        self.eof = False

    def _fill(self) -> bool:
        if self.eof:
            return False
        data = self.sock.recv(262144)
        if not data:
            self.eof = True
            return False
        self.buf += data
        return True

    def _line(self, limit: int = 65536) -> bytes:
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                line = bytes(self.buf[:i])
                del self.buf[:i + 2]
                return line
            if len(self.buf) > limit or not self._fill():
                raise ConnectionError(f"connection ended inside a line: {bytes(self.buf[:200])!r}")

    def _exact(self, n: int) -> bytes:
        while len(self.buf) < n:
            if not self._fill():
                raise ConnectionError(f"connection ended after {len(self.buf)} of {n} body bytes")
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def read_head(self) -> tuple[str, int, str, list[tuple[str, str]]]:
        line = self._line()
        version, _, rest = line.decode("latin-1").partition(" ")
        code, _, reason = rest.partition(" ")
        if not version.startswith("HTTP/1."):
            raise AssertionError(f"not an HTTP/1.x status line: {line!r}")
        headers = []
        while True:
            h = self._line()
            if not h:
                break
            n, _, v = h.decode("latin-1").partition(":")
            headers.append((n, v.strip(" \t")))
        return version, int(code), reason, headers

    def read_response(self, method: str = "GET", skip_interim: bool = True) -> Response:
        interim = []
        while True:
            version, status, reason, headers = self.read_head()
            if 100 <= status < 200 and status != 101 and skip_interim:
                interim.append(status)
                continue
            break
        get = lambda name: [v for n, v in headers if n.lower() == name]
        if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
            body = b""
        elif get("transfer-encoding") and get("transfer-encoding")[-1].lower().endswith("chunked"):
            body = bytearray()
            while True:
                size = int(self._line().split(b";")[0].strip(), 16)
                if size == 0:
                    while self._line():
                        pass
                    break
                body += self._exact(size)
                if self._exact(2) != b"\r\n":
                    raise AssertionError("chunk not followed by CRLF")
            body = bytes(body)
        elif get("content-length"):
            body = self._exact(int(get("content-length")[0]))
        else:
            while self._fill():
                pass
            body = bytes(self.buf)
            self.buf.clear()
        return Response(status, reason, version, headers, body, interim)

    def at_eof(self, wait: float = 5.0) -> bool:
        """True if the peer closes the connection (after any unread bytes) within `wait` s."""
        old = self.sock.gettimeout()
        self.sock.settimeout(wait)
        try:
            while self._fill():
                pass
            return True
        except socket.timeout:
            return False
        except ConnectionResetError:
            return True
        finally:
            self.sock.settimeout(old)


def exchange(port: int, raw: bytes, method: str = "GET", timeout: float = 15) -> tuple[Response, bool]:
    """Sends raw bytes on a new connection; returns the first response and whether the
    proxy then closed the connection."""
    with connect(port, timeout) as s:
        s.sendall(raw)
        r = Reader(s)
        resp = r.read_response(method)
        return resp, r.at_eof(5)


# ---------------------------------------------------------------------------
# X-Tenant-Context

def b64url_decode(part: str) -> bytes:
    assert "=" not in part, "JWS parts must be unpadded base64url"
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def verify_hs256(token: str, secret: str = SECRET) -> tuple[dict, dict]:
    """Checks a compact JWS independently of the proxy's code: recompute HMAC-SHA256
    over `header.payload` with the secret's UTF-8 bytes. Returns (header, claims)."""
    parts = token.split(".")
    assert len(parts) == 3, f"not a compact JWS: {token!r}"
    header = json.loads(b64url_decode(parts[0]))
    claims = json.loads(b64url_decode(parts[1]))
    expected = hmac.new(secret.encode(), f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest()
    assert hmac.compare_digest(expected, b64url_decode(parts[2])), "X-Tenant-Context signature does not verify"
    return header, claims


# ---------------------------------------------------------------------------
# Config and process

DEFAULT_TIMEOUTS = {"client_header": 5, "client_keepalive": 30, "upstream_connect": 2,
                    "upstream_header": 15, "body_idle": 30}


def config_yaml(listen_port: int, admin_port: int, default_port: int, api_port: int,
                snapshot: str, extra: str = "", timeouts: dict | None = None) -> str:
    t = {**DEFAULT_TIMEOUTS, **(timeouts or {})}
    timeout_lines = "\n".join(f"  {k}: {v}" for k, v in t.items())
    return f"""# written by Tests/e2e/helpers.py
listen:
  - {{ address: "127.0.0.1:{listen_port}", protocol: http }}
admin: "127.0.0.1:{admin_port}"
workers: 2
master_db:
  url_env: MASTER_DB_URL
  snapshot_path: "{snapshot}"
routing:
  platform_domains: [{PLATFORM}]
  passthrough_hosts: {{ "{PASSTHROUGH}": api }}
  retry_after_seconds: 30
upstreams:
  default: {{ servers: ["127.0.0.1:{default_port}"] }}
  api: {{ servers: ["127.0.0.1:{api_port}"] }}
tenant_context:
  issuer: tenant-edge
  audience: tenant-backend
  ttl_seconds: 60
  sign_with: k1
  keys:
    - {{ kid: k1, alg: HS256, secret_env: TENANT_CONTEXT_SECRET }}
timeouts:
{timeout_lines}
{extra}"""


def edge_bin() -> str:
    path = os.environ.get("TENANT_EDGE_BIN") or str(REPO / ".build" / "debug" / "tenant-edge")
    if not os.access(path, os.X_OK):
        raise RuntimeError(f"tenant-edge binary not found at {path}: build it (swift build) or set TENANT_EDGE_BIN")
    return path


try:  # loaded here, not after fork: dlopen in a forked child of a threaded process can hang
    _LIBC = ctypes.CDLL(None, use_errno=True)
except OSError:
    _LIBC = None


def _die_with_parent() -> None:
    """Child side: get SIGKILL if pytest dies, so no proxy outlives the test run."""
    if _LIBC is not None:
        _LIBC.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG


def run_cli(args: list[str], env: dict, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([edge_bin(), *args], env=env, capture_output=True, text=True,
                          timeout=timeout, preexec_fn=_die_with_parent)


class EdgeProcess:
    """`tenant-edge serve` with its stderr in a file, stopped with SIGTERM then SIGKILL."""

    def __init__(self, config_path: str, env: dict, port: int, workdir: str):
        self.config_path, self.env, self.port = config_path, env, port
        self.stderr_path = os.path.join(workdir, "tenant-edge.stderr")
        self.proc: subprocess.Popen | None = None

    def start(self, ready_host: str = f"shop1.{PLATFORM}", timeout: float = 30) -> "EdgeProcess":
        self._err = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen([edge_bin(), "serve", "--config", self.config_path], env=self.env,
                                     stdin=subprocess.DEVNULL, stdout=self._err, stderr=self._err,
                                     preexec_fn=_die_with_parent)
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"tenant-edge exited with {self.proc.returncode} during start:\n{self.stderr_tail()}")
            try:
                with connect(self.port, timeout=2) as s:
                    s.sendall(request_bytes("GET", "/__te_ready", ready_host, [("Connection", "close")]))
                    Reader(s).read_head()
                    return self
            except (OSError, ConnectionError, AssertionError, ValueError) as exc:
                last = exc
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"tenant-edge did not answer on port {self.port} within {timeout}s ({last}):\n{self.stderr_tail()}")

    def stderr_tail(self, n: int = 60) -> str:
        try:
            lines = Path(self.stderr_path).read_text(errors="replace").splitlines()
        except OSError:
            return "(no stderr)"
        return "\n".join(lines[-n:])

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._err.close()
        return self.proc.returncode
