"""Bodies stream both ways byte-exact, in every framing (issue 2: content-length,
chunked, read-until-close), and Expect: 100-continue works."""

import hashlib
import json
import os
import socket
import subprocess
import time

import pytest

from echo_backend import pattern_bytes, pattern_sha256
from helpers import Reader, connect, curl_host, request_bytes

MiB = 1024 * 1024
SIZE = 20 * MiB


@pytest.fixture(scope="module")
def upload_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("bodies") / "upload.bin"
    data = os.urandom(SIZE)
    path.write_bytes(data)
    return str(path), hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_upload_20mib_byte_exact(edge, upload_file, chunked):
    path, digest = upload_file
    args = ["--data-binary", f"@{path}", "-H", "Content-Type: application/octet-stream"]
    if chunked:
        args += ["-H", "Transfer-Encoding: chunked"]
    resp = curl_host(edge.port, "www.shop1.test", "/upload", *args, timeout=120)
    assert resp.status == 200, resp.describe()
    echo = resp.json()
    assert echo["body_len"] == SIZE
    assert echo["body_sha256"] == digest
    te = [v for n, v in echo["headers"] if n.lower() == "transfer-encoding"]
    cl = [v for n, v in echo["headers"] if n.lower() == "content-length"]
    if chunked:
        assert te and te[-1].lower() == "chunked" and not cl, echo["headers"]
    else:
        assert cl == [str(SIZE)] and not te, echo["headers"]


@pytest.mark.parametrize("path", ["/big?bytes=%d" % SIZE, "/big?bytes=%d&chunked=1" % SIZE, "/close?bytes=%d" % SIZE],
                         ids=["content-length", "chunked", "until-close"])
def test_download_20mib_byte_exact(edge, tmp_path, path):
    out = tmp_path / "download.bin"
    proc = subprocess.run(["curl", "-sS", "--noproxy", "*", "--max-time", "120", "-o", str(out),
                           "-w", "%{http_code}", "-H", "Host: www.shop1.test", edge.url(path)],
                          capture_output=True, text=True, timeout=150)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "200"
    data = out.read_bytes()
    assert len(data) == SIZE
    assert hashlib.sha256(data).hexdigest() == pattern_sha256(SIZE)


def test_download_then_reuse_connection(edge):
    """A large content-length and a chunked response, then a small request on the
    same client connection: framing must end exactly at the body's end."""
    with connect(edge.port, timeout=60) as s:
        reader = Reader(s)
        for path in ("/big?bytes=3000001", "/big?bytes=3000001&chunked=1"):
            s.sendall(request_bytes("GET", path, "shop2.example.test"))
            resp = reader.read_response()
            assert resp.status == 200 and resp.body == pattern_bytes(3000001)
        s.sendall(request_bytes("GET", "/next", "shop2.example.test"))
        assert reader.read_response().json()["target"] == "/next"


def test_slow_reader_gets_everything(edge):
    """Backpressure: a client that reads slowly still gets every byte, in order."""
    n = 8 * MiB
    with connect(edge.port, timeout=60) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
        s.sendall(request_bytes("GET", f"/big?bytes={n}", "www.shop1.test"))
        time.sleep(1.0)  # let the proxy hit a full socket buffer
        resp = Reader(s).read_response()
    assert resp.status == 200
    assert hashlib.sha256(resp.body).hexdigest() == pattern_sha256(n)


def test_expect_100_continue_with_curl(edge):
    body = b"x" * 5000
    # A long expect100 timeout: the upload must start because the 100 came through,
    # not because curl gave up waiting for it.
    proc = subprocess.run(["curl", "-sS", "-v", "--noproxy", "*", "--max-time", "30", "--expect100-timeout", "20",
                           "-H", "Host: www.shop1.test", "-H", "Expect: 100-continue",
                           "--data-binary", "@-", "-w", "\n%{time_total}", edge.url("/expect")],
                          input=body, capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    out, _, elapsed = proc.stdout.rpartition(b"\n")
    assert float(elapsed) < 10, f"curl waited {elapsed}s: the 100 Continue never came"
    assert b"HTTP/1.1 100" in proc.stderr, proc.stderr.decode(errors="replace")
    echo = json.loads(out)
    assert echo["body_len"] == len(body)
    assert echo["body_sha256"] == hashlib.sha256(body).hexdigest()


def test_expect_100_continue_raw(edge):
    body = os.urandom(100000)
    with connect(edge.port, timeout=10) as s:
        s.sendall(request_bytes("POST", "/expect-raw", "www.shop1.test",
                                [("Expect", "100-continue"), ("Content-Length", str(len(body)))]))
        reader = Reader(s)
        interim = reader.read_head()
        assert interim[1] == 100, f"expected 100 Continue before the body, got {interim}"
        s.sendall(body)
        resp = reader.read_response("POST")
    assert resp.status == 200, resp.describe()
    assert resp.json()["body_sha256"] == hashlib.sha256(body).hexdigest()
