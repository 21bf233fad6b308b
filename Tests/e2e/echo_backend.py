"""A test backend that tells exactly what reached it.

Threaded HTTP/1.1 server on raw sockets (no http.server: we want the header list as
it crossed the wire, in order and with its original case, and full control over
framing). Every complete request is answered with JSON describing it and is appended
to `EchoBackend.requests`, so a test can also check what never arrived.

Endpoints (any method, also under /api/; HEAD answers the GET headers without a body):
  /big?bytes=N[&chunked=1]   N deterministic bytes (see `pattern`), content-length or chunked
  /close[?bytes=N]           no length: the body ends when the connection closes
  /slow?ms=N                 waits N ms, then echoes
  /status/N                  answers status N (204, 304 and 1xx without a body)
  /ws                        with `Upgrade`: 101, then echoes raw bytes until EOF
  anything else              the echo JSON
`Expect: 100-continue` gets an interim 100 before the body is read.

Run standalone: python3 echo_backend.py --port 3000 [--name default]
"""

from __future__ import annotations

import argparse
import base64
import collections
import hashlib
import itertools
import json
import socket
import threading
import time
import urllib.parse

# ---------------------------------------------------------------------------
# Deterministic payload: a block with a period that is not a power of two, so a
# body shifted by a buffer size does not hash the same.
PERIOD = 1_000_003
_block = bytearray()
_i = 0
while len(_block) < PERIOD:
    _block += hashlib.sha256(b"tenant-edge-%d" % _i).digest()
    _i += 1
_BLOCK = bytes(_block[:PERIOD]) * 2
del _block, _i


def pattern(offset: int, length: int) -> bytes:
    """`length` bytes of the infinite pattern starting at `offset` (length <= PERIOD)."""
    start = offset % PERIOD
    return _BLOCK[start:start + length]


def pattern_bytes(n: int) -> bytes:
    out = bytearray()
    while len(out) < n:
        out += pattern(len(out), min(65536, n - len(out)))
    return bytes(out)


def pattern_sha256(n: int) -> str:
    h = hashlib.sha256()
    off = 0
    while off < n:
        piece = pattern(off, min(65536, n - off))
        h.update(piece)
        off += len(piece)
    return h.hexdigest()


REASONS = {
    100: "Continue", 101: "Switching Protocols", 200: "OK", 201: "Created", 204: "No Content",
    301: "Moved Permanently", 302: "Found", 304: "Not Modified", 400: "Bad Request",
    401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 413: "Content Too Large",
    431: "Request Header Fields Too Large", 500: "Internal Server Error", 502: "Bad Gateway",
    503: "Service Unavailable", 504: "Gateway Timeout",
}


class BadRequest(Exception):
    pass


class PeerClosed(Exception):
    pass


class _Conn:
    """One client connection: a read buffer over the socket."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.buf = bytearray()

    def fill(self) -> None:
        data = self.sock.recv(262144)
        if not data:
            raise PeerClosed()
        self.buf += data

    def read_until(self, sep: bytes, limit: int) -> bytes:
        while True:
            idx = self.buf.find(sep)
            if idx >= 0:
                out = bytes(self.buf[:idx])
                del self.buf[:idx + len(sep)]
                return out
            if len(self.buf) > limit:
                raise BadRequest("line or head too long")
            self.fill()

    def read_exact_into(self, n: int, sink) -> None:
        while n > 0:
            if not self.buf:
                self.fill()
            take = min(n, len(self.buf))
            sink(self.buf[:take])
            del self.buf[:take]
            n -= take


class EchoBackend:
    """Start with `start()`; `port` tells where it listens; `requests` logs what came in."""

    def __init__(self, name: str = "default", host: str = "127.0.0.1", port: int = 0,
                 keep: int | None = None):
        """`keep`: remember only the last `keep` requests (long runs such as scripts/soak,
        where remembering millions made this process tens of GiB and its garbage collector
        stall every thread, the serving ones included, for seconds)."""
        self.name = name
        self.host = host
        self._lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._lsock.bind((host, port))
        self._lsock.listen(256)
        self.port = self._lsock.getsockname()[1]
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._open: set[socket.socket] = set()
        self._stopped = False
        # complete requests, in arrival order; heads whose body never completed or was malformed
        self.requests = [] if keep is None else collections.deque(maxlen=keep)
        self.incomplete = [] if keep is None else collections.deque(maxlen=keep)
        self.connections = 0                # connections accepted

    # -- lifecycle ---------------------------------------------------------
    def start(self) -> "EchoBackend":
        threading.Thread(target=self._accept_loop, name=f"echo-{self.name}-accept", daemon=True).start()
        return self

    def stop(self) -> None:
        self._stopped = True
        try:
            self._lsock.close()
        except OSError:
            pass
        with self._lock:
            socks = list(self._open)
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    # -- queries for tests -------------------------------------------------
    def clear(self) -> None:
        with self._lock:
            self.requests.clear()
            self.incomplete.clear()

    def seen(self, marker: str, complete_only: bool = False) -> list[dict]:
        """Requests whose target or any header value contains `marker`: complete ones, and
        unless `complete_only`, also heads whose body never completed."""
        with self._lock:
            recs = list(self.requests) + ([] if complete_only else list(self.incomplete))
        return [r for r in recs
                if marker in r["target"] or any(marker in v for _, v in r["headers"])]

    # -- server ------------------------------------------------------------
    def _accept_loop(self) -> None:
        while not self._stopped:
            try:
                sock, _ = self._lsock.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
                self._open.add(sock)
            conn_id = next(self._ids)
            threading.Thread(target=self._serve, args=(sock, conn_id),
                             name=f"echo-{self.name}-{conn_id}", daemon=True).start()

    def _serve(self, sock: socket.socket, conn_id: int) -> None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn = _Conn(sock)
        try:
            for seq in itertools.count(1):
                if not self._one_request(conn, conn_id, seq):
                    break
        except (PeerClosed, ConnectionError, OSError):
            pass
        finally:
            with self._lock:
                self._open.discard(sock)
            try:
                sock.close()
            except OSError:
                pass

    def _one_request(self, conn: _Conn, conn_id: int, seq: int) -> bool:
        """Reads and answers one request. Returns whether the connection stays open."""
        try:
            head = conn.read_until(b"\r\n\r\n", 65536)
        except PeerClosed:
            if conn.buf:  # a head cut short still counts as "seen"
                with self._lock:
                    self.incomplete.append({
                        "backend": self.name, "conn_id": conn_id, "seq_on_conn": seq,
                        "target": bytes(conn.buf).decode("latin-1"), "headers": [],
                        "error": "head cut short"})
            return False
        except BadRequest:
            conn.sock.sendall(b"HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            return False
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3:
            conn.sock.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            return False
        method, target, version = parts
        headers: list[list[str]] = []
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            headers.append([name, value.strip(" \t")])
        rec = {
            "backend": self.name, "conn_id": conn_id, "seq_on_conn": seq, "method": method,
            "target": target, "version": version, "headers": headers,
            "body_len": 0, "body_sha256": hashlib.sha256(b"").hexdigest(), "trailers": [],
            "received_at": time.time(),
        }

        def get(name: str) -> list[str]:
            return [v for n, v in headers if n.lower() == name]

        te = ",".join(get("transfer-encoding")).lower()
        cls = get("content-length")
        chunked = te.split(",")[-1].strip() == "chunked" if te else False
        # "5, 5" (a repeated identical value) is a valid Content-Length list.
        length = int(cls[0].split(",")[0].strip()) if cls and not chunked else 0
        has_body = chunked or length > 0
        if has_body and any(v.lower() == "100-continue" for v in get("expect")):
            conn.sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")

        h = hashlib.sha256()
        total = 0

        def sink(piece) -> None:
            nonlocal total
            h.update(piece)
            total += len(piece)

        try:
            if chunked:
                self._read_chunked(conn, sink, rec)
            elif length:
                conn.read_exact_into(length, sink)
        except (BadRequest, ValueError, PeerClosed) as exc:
            rec["body_len"] = total
            rec["error"] = str(exc) or type(exc).__name__
            with self._lock:
                self.incomplete.append(rec)
            if not isinstance(exc, PeerClosed):
                conn.sock.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            return False
        rec["body_len"] = total
        rec["body_sha256"] = h.hexdigest()
        with self._lock:
            self.requests.append(rec)

        conn_tokens = {t.strip().lower() for v in get("connection") for t in v.split(",")}
        keep = ("close" not in conn_tokens) if version == "HTTP/1.1" else ("keep-alive" in conn_tokens)
        return self._respond(conn, rec, method, target, keep, conn_tokens, get)

    @staticmethod
    def _read_chunked(conn: _Conn, sink, rec: dict) -> None:
        while True:
            line = conn.read_until(b"\r\n", 8192)
            size_text = line.split(b";", 1)[0].strip()
            if not size_text or any(c not in b"0123456789abcdefABCDEF" for c in size_text):
                raise BadRequest(f"bad chunk size {line[:40]!r}")
            size = int(size_text, 16)
            if size == 0:
                while True:
                    trailer = conn.read_until(b"\r\n", 8192)
                    if not trailer:
                        return
                    name, _, value = trailer.decode("latin-1").partition(":")
                    rec["trailers"].append([name, value.strip()])
            conn.read_exact_into(size, sink)
            while len(conn.buf) < 2:
                conn.fill()
            if conn.buf[:2] != b"\r\n":
                raise BadRequest("chunk data not followed by CRLF")
            del conn.buf[:2]

    # -- responses ---------------------------------------------------------
    def _respond(self, conn: _Conn, rec: dict, method: str, target: str, keep: bool,
                 conn_tokens: set[str], get) -> bool:
        url = urllib.parse.urlsplit(target)
        path = url.path
        if path.startswith("/api/"):  # /api/big behaves like /big (and gets JSON errors from the proxy)
            path = path[4:]
        query = dict(urllib.parse.parse_qsl(url.query))
        head_only = method == "HEAD"
        base = [("X-Echo-Backend", self.name), ("X-Echo-Conn", str(rec["conn_id"]))]

        if path == "/ws" and get("upgrade") and "upgrade" in conn_tokens:
            extra = []
            keys = get("sec-websocket-key")
            if keys:
                accept = base64.b64encode(hashlib.sha1(
                    (keys[0] + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
                extra.append(("Sec-WebSocket-Accept", accept))
            self._send_head(conn, 101, base + [("Upgrade", get("upgrade")[0]), ("Connection", "Upgrade")] + extra)
            if conn.buf:
                conn.sock.sendall(bytes(conn.buf))
                conn.buf.clear()
            while True:
                data = conn.sock.recv(65536)
                if not data:
                    return False
                conn.sock.sendall(data)

        if path == "/slow":
            time.sleep(int(query.get("ms", "100")) / 1000.0)

        if path.startswith("/status/"):
            status = int(path.split("/")[2])
            if status in (204, 304) or 100 <= status < 200:
                hdrs = base + ([("ETag", '"echo"')] if status == 304 else [])
                self._send_head(conn, status, hdrs + self._conn_hdr(keep))
                return keep
            body = self._echo_json(rec)
            self._send_head(conn, status, base + [("Content-Type", "application/json"),
                                                 ("Content-Length", str(len(body)))] + self._conn_hdr(keep))
            if not head_only:
                conn.sock.sendall(body)
            return keep

        if path == "/big":
            n = int(query.get("bytes", "0"))
            digest = pattern_sha256(n)
            if query.get("chunked") == "1":
                self._send_head(conn, 200, base + [("Content-Type", "application/octet-stream"),
                                                  ("Transfer-Encoding", "chunked"),
                                                  ("X-Body-Sha256", digest)] + self._conn_hdr(keep))
                if not head_only:
                    self._send_chunked(conn, n)
            else:
                self._send_head(conn, 200, base + [("Content-Type", "application/octet-stream"),
                                                  ("Content-Length", str(n)),
                                                  ("X-Body-Sha256", digest)] + self._conn_hdr(keep))
                if not head_only:
                    self._send_pattern(conn, n)
            return keep

        if path == "/close":
            if "bytes" in query:
                n = int(query["bytes"])
                self._send_head(conn, 200, base + [("Content-Type", "application/octet-stream"),
                                                  ("X-Body-Sha256", pattern_sha256(n)),
                                                  ("Connection", "close")])
                if not head_only:
                    self._send_pattern(conn, n)
            else:
                body = self._echo_json(rec)
                self._send_head(conn, 200, base + [("Content-Type", "application/json"), ("Connection", "close")])
                if not head_only:
                    conn.sock.sendall(body)
            try:
                conn.sock.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            return False

        body = self._echo_json(rec)
        self._send_head(conn, 200, base + [("Content-Type", "application/json"),
                                          ("Content-Length", str(len(body)))] + self._conn_hdr(keep))
        if not head_only:
            conn.sock.sendall(body)
        return keep

    @staticmethod
    def _conn_hdr(keep: bool) -> list[tuple[str, str]]:
        return [] if keep else [("Connection", "close")]

    @staticmethod
    def _echo_json(rec: dict) -> bytes:
        out = {k: v for k, v in rec.items() if k != "received_at"}
        return json.dumps(out).encode()

    @staticmethod
    def _send_head(conn: _Conn, status: int, headers: list[tuple[str, str]]) -> None:
        lines = [f"HTTP/1.1 {status} {REASONS.get(status, 'Status')}"]
        lines += [f"{n}: {v}" for n, v in headers]
        conn.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))

    @staticmethod
    def _send_pattern(conn: _Conn, n: int) -> None:
        off = 0
        while off < n:
            piece = pattern(off, min(262144, n - off))
            conn.sock.sendall(piece)
            off += len(piece)

    @staticmethod
    def _send_chunked(conn: _Conn, n: int) -> None:
        # Uneven chunk sizes, so framing bugs at chunk boundaries show.
        sizes = itertools.cycle([1, 65536, 7777, 131072, 13, 250000])
        off = 0
        while off < n:
            size = min(next(sizes), n - off)
            conn.sock.sendall(b"%x\r\n" % size + pattern(off, size) + b"\r\n")
            off += size
        conn.sock.sendall(b"0\r\n\r\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--name", default="default")
    args = ap.parse_args()
    srv = EchoBackend(args.name, port=args.port).start()
    print(f"echo backend {args.name} on 127.0.0.1:{srv.port}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        srv.stop()


if __name__ == "__main__":
    main()
