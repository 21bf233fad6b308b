"""HTTP/2 to clients (ALPN h2, nghttp2): streams routed on :authority with the same
header rules and tenant context as HTTP/1.1, bodies byte-exact both ways, many
concurrent streams, and h2load as a correctness check."""
from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess

import pytest

from echo_backend import pattern_sha256
from helpers import PLATFORM, curl, verify_hs256
from tls_certs import start_tls_edge


@pytest.fixture(scope="module")
def h2_edge(tmp_path_factory, database, backends):
    edge = start_tls_edge(tmp_path_factory.mktemp("h2"), database, backends)
    yield edge
    edge["proc"].stop()


def h2_curl(edge, host: str, path: str, *args: str, **kw):
    port = edge["port"]
    return curl(f"https://{host}:{port}{path}", "--http2", "--cacert", str(edge["ca"].cert),
                "--resolve", f"{host}:{port}:127.0.0.1", *args, **kw)


def test_h2_request_reaches_backend_as_http11_with_tenant_context(h2_edge):
    r = h2_curl(h2_edge, "www.shop1.test", "/h2?x=1", "-H", "X-Tenant-Context: forged", "-H", "x_store_id: evil")
    assert r.version == "HTTP/2"
    assert r.status == 200
    seen = json.loads(r.body)
    assert seen["version"] == "HTTP/1.1"
    assert seen["target"] == "/h2?x=1"
    headers = [(k.lower(), v) for k, v in seen["headers"]]
    names = [k for k, _ in headers]
    assert names.count("x-tenant-context") == 1 and "x_store_id" not in names
    values = dict(headers)
    assert values["host"] == f"www.shop1.test:{h2_edge['port']}"  # :authority as sent
    assert values["x-forwarded-proto"] == "https"
    _, claims = verify_hs256(values["x-tenant-context"])
    assert claims["host"] == "www.shop1.test" and claims["slug"] == "shop1" and claims["host_kind"] == "custom"


def test_h2_unknown_host_is_answered_by_the_proxy(h2_edge):
    before = len(h2_edge["backend"].requests)
    r = h2_curl(h2_edge, f"nobody.{PLATFORM}", "/api/x")
    assert r.status == 404
    assert json.loads(r.body)["code"] == "STORE_NOT_FOUND"
    assert len(h2_edge["backend"].requests) == before


def test_h2_store_states(h2_edge):
    assert h2_curl(h2_edge, f"closed1.{PLATFORM}", "/api/x").status == 410
    r = h2_curl(h2_edge, f"provisioning1.{PLATFORM}", "/api/x")
    assert r.status == 503 and r.header("retry-after") == "30"


def test_h2_large_download_is_byte_exact(h2_edge, tmp_path):
    for query in ("bytes=20000000", "bytes=20000000&chunked=1"):
        r = h2_curl(h2_edge, "www.shop1.test", f"/big?{query}")
        assert r.status == 200
        assert len(r.body) == 20_000_000, query
        assert hashlib.sha256(r.body).hexdigest() == pattern_sha256(20_000_000), query


def test_h2_large_upload_is_byte_exact(h2_edge, tmp_path):
    data = os.urandom(8 * 1024 * 1024)
    path = tmp_path / "upload.bin"
    path.write_bytes(data)
    for extra in ((), ("-H", "Transfer-Encoding: chunked")):
        r = h2_curl(h2_edge, "www.shop1.test", "/upload", "--data-binary", f"@{path}",
                    "-H", "Content-Type: application/octet-stream", *extra)
        assert r.status == 200
        seen = json.loads(r.body)
        assert seen["body_len"] == len(data)
        assert seen["body_sha256"] == hashlib.sha256(data).hexdigest()


def h2load(edge, host: str, *args: str) -> str:
    port = edge["port"]
    proc = subprocess.run(["h2load", *args, f"https://127.0.0.1:{port}/h2load"], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "SSL_CERT_FILE": str(edge["ca"].cert)})
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_one_connection_carries_100_concurrent_streams(h2_edge):
    out = h2load(h2_edge, "www.shop1.test", "-n", "100", "-c", "1", "-m", "100", "-H", ":authority: www.shop1.test")
    assert re.search(r"requests: 100 total, 100 started, 100 done, 100 succeeded", out), out
    assert re.search(r"status codes: 100 2xx", out), out


def test_h2load_all_responses_2xx(h2_edge):
    out = h2load(h2_edge, "www.shop1.test", "-n", "5000", "-c", "8", "-m", "10", "-H", ":authority: www.shop1.test")
    assert re.search(r"requests: 5000 total, 5000 started, 5000 done, 5000 succeeded, 0 failed, 0 errored", out), out
    assert re.search(r"status codes: 5000 2xx, 0 3xx, 0 4xx, 0 5xx", out), out
