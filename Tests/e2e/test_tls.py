"""TLS termination: certificate choice by SNI (exact, wildcard, certbot layout, default,
no SNI), bad files skipped, 421 on Host/SNI of different stores, forwarding headers over
https, and certificates swapped by SIGHUP without dropping connections."""
from __future__ import annotations

import json
import signal
import socket
import ssl
import time

import pytest

from helpers import PLATFORM, verify_hs256
from tls_certs import CertAuthority, start_tls_edge


@pytest.fixture(scope="module")
def tls_edge(tmp_path_factory, database, backends):
    edge = start_tls_edge(tmp_path_factory.mktemp("tls"), database, backends)
    yield edge
    edge["proc"].stop()


def handshake(port: int, ca: CertAuthority, server_name: str | None) -> dict:
    """The certificate the proxy presents for `server_name` (None: no SNI at all)."""
    context = ssl.create_default_context(cafile=str(ca.cert))
    context.check_hostname = False
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname=server_name) as tls:
            return tls.getpeercert()


def names(cert: dict) -> list[str]:
    return [value for kind, value in cert.get("subjectAltName", ()) if kind == "DNS"]


def https_get(port: int, ca: CertAuthority, sni: str, host: str, path: str = "/") -> tuple[int, dict, bytes]:
    context = ssl.create_default_context(cafile=str(ca.cert))
    context.check_hostname = False
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname=sni) as tls:
            tls.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
            data = b""
            while chunk := tls.recv(65536):
                data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split()[1]), headers, body


@pytest.mark.parametrize("sni, expected", [
    ("www.shop1.test", "www.shop1.test"),
    ("WWW.Shop1.Test", "www.shop1.test"),
    (f"shop1.{PLATFORM}", f"*.{PLATFORM}"),
    (f"anything.{PLATFORM}", f"*.{PLATFORM}"),
    ("www.demo1.test", "www.demo1.test"),
    ("unknown.test", "default.test"),
    (f"a.b.{PLATFORM}", "default.test"),
])
def test_certificate_is_chosen_by_sni(tls_edge, sni, expected):
    assert names(handshake(tls_edge["port"], tls_edge["ca"], sni)) == [expected]


def test_no_sni_gets_the_default_certificate(tls_edge):
    assert names(handshake(tls_edge["port"], tls_edge["ca"], None)) == ["default.test"]


def test_bad_certificate_files_are_skipped_with_their_names(tls_edge):
    log = tls_edge["proc"].stderr_tail(400)
    assert "broken.test.pem" in log
    assert "mismatch.test.key" in log and "does not match" in log
    # and they did not stop the others from loading
    assert names(handshake(tls_edge["port"], tls_edge["ca"], "mismatch.test")) == ["default.test"]


def test_https_request_reaches_the_backend_with_https_forwarding_headers(tls_edge):
    status, _, body = https_get(tls_edge["port"], tls_edge["ca"], "www.shop1.test", "www.shop1.test", "/over-tls")
    assert status == 200
    seen = json.loads(body)
    headers = {k.lower(): v for k, v in seen["headers"]}
    assert seen["target"] == "/over-tls"
    assert headers["x-forwarded-proto"] == "https"
    assert headers["x-forwarded-port"] == str(tls_edge["port"])
    _, claims = verify_hs256(headers["x-tenant-context"])
    assert claims["host"] == "www.shop1.test" and claims["slug"] == "shop1"


def test_host_of_another_store_than_sni_is_misdirected(tls_edge):
    before = len(tls_edge["backend"].requests)
    status, headers, body = https_get(tls_edge["port"], tls_edge["ca"], "www.shop1.test", "shop2.example.test",
                                      "/api/x")
    assert status == 421
    assert json.loads(body)["success"] is False
    assert len(tls_edge["backend"].requests) == before


def test_same_store_under_two_names_is_allowed(tls_edge):
    status, _, body = https_get(tls_edge["port"], tls_edge["ca"], f"shop1.{PLATFORM}", "www.shop1.test")
    assert status == 200
    assert json.loads(body)["target"] == "/"


def test_sighup_swaps_a_certificate_without_dropping_connections(tls_edge):
    port, ca, certs = tls_edge["port"], tls_edge["ca"], tls_edge["certs"]
    before = handshake(port, ca, "www.shop1.test")
    context = ssl.create_default_context(cafile=str(ca.cert))
    context.check_hostname = False
    held = context.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10), server_hostname="www.shop1.test")
    try:
        ca.issue(certs / "www.shop1.test.pem", certs / "www.shop1.test.key", ["www.shop1.test", "extra.shop1.test"])
        tls_edge["proc"].proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        after = before
        while time.monotonic() < deadline:
            after = handshake(port, ca, "www.shop1.test")
            if after["serialNumber"] != before["serialNumber"]:
                break
            time.sleep(0.1)
        assert after["serialNumber"] != before["serialNumber"]
        assert names(after) == ["www.shop1.test", "extra.shop1.test"]
        # the connection opened before the reload still works
        held.sendall(b"GET /still-here HTTP/1.1\r\nHost: www.shop1.test\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := held.recv(65536):
            data += chunk
        assert data.startswith(b"HTTP/1.1 200")
        assert b"/still-here" in data
    finally:
        held.close()
