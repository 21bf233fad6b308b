"""Load-balancer integration: PROXY protocol v1/v2 (required on listeners that enable it;
v2 LOCAL for health checks), trusted versus untrusted X-Forwarded-For, and the health
path on the traffic port."""
from __future__ import annotations

import json
import socket
import struct

import pytest

from conftest import edge_env
from helpers import PLATFORM, EdgeProcess, Reader, config_yaml, connect, free_port, request_bytes


@pytest.fixture(scope="module")
def lb_edge(tmp_path_factory, database, backends):
    work = tmp_path_factory.mktemp("lb")
    port, pp_port, admin_port = free_port(), free_port(), free_port()
    config = config_yaml(port, admin_port, backends["default"].port, backends["api"].port, str(work / "routes.json"),
                         extra='trusted_proxies: ["127.0.0.2/32"]\nhealth_path: "/__health"\n')
    config = config.replace("listen:\n", f'listen:\n  - {{ address: "127.0.0.1:{pp_port}", protocol: http, proxy_protocol: true }}\n', 1)
    path = work / "tenant-edge.yaml"
    path.write_text(config)
    proc = EdgeProcess(str(path), edge_env(database), port, str(work))
    proc.start()
    yield {"port": port, "pp_port": pp_port, "backend": backends["default"], "proc": proc}
    proc.stop()


def send(port: int, raw: bytes, source: str = "127.0.0.1") -> tuple[int, dict | None]:
    with socket.create_connection(("127.0.0.1", port), timeout=10, source_address=(source, 0)) as s:
        s.sendall(raw)
        response = Reader(s).read_response()
    body = None
    if response.body.startswith(b"{"):
        body = json.loads(response.body)
    return response.status, body


def seen_headers(body: dict) -> dict:
    out: dict[str, list[str]] = {}
    for name, value in body["headers"]:
        out.setdefault(name.lower(), []).append(value)
    return out


def get(host: str = f"shop1.{PLATFORM}", headers=()) -> bytes:
    return request_bytes("GET", "/lb", host, [("Connection", "close"), *headers])


def proxy_v2(src: str, dst: str, sport: int, dport: int, command: int = 1) -> bytes:
    signature = b"\r\n\r\n\x00\r\nQUIT\n"
    if command == 0:
        return signature + bytes([0x20, 0x00]) + struct.pack("!H", 0)
    address = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!HH", sport, dport)
    tlv = bytes([0xE0]) + struct.pack("!H", 3) + b"xyz"   # an unknown TLV, to be skipped
    payload = address + tlv
    return signature + bytes([0x21, 0x11]) + struct.pack("!H", len(payload)) + payload


def test_proxy_v1_client_address_becomes_x_forwarded_for(lb_edge):
    status, body = send(lb_edge["pp_port"], b"PROXY TCP4 203.0.113.7 10.0.0.1 51000 80\r\n" + get())
    assert status == 200
    assert seen_headers(body)["x-forwarded-for"] == ["203.0.113.7"]


def test_proxy_v2_client_address_and_unknown_tlv(lb_edge):
    status, body = send(lb_edge["pp_port"], proxy_v2("198.51.100.9", "10.0.0.1", 40000, 443) + get())
    assert status == 200
    assert seen_headers(body)["x-forwarded-for"] == ["198.51.100.9"]


def test_proxy_v2_local_is_accepted_for_health_checks(lb_edge):
    status, body = send(lb_edge["pp_port"], proxy_v2("0.0.0.0", "0.0.0.0", 0, 0, command=0) + get())
    assert status == 200
    assert seen_headers(body)["x-forwarded-for"] == ["127.0.0.1"]


@pytest.mark.parametrize("prefix", [b"", b"PROXY TCP4 1.2.3.4\r\n", b"PROXY TCP9 1.2.3.4 5.6.7.8 1 2\r\n"])
def test_connection_without_a_valid_proxy_header_is_closed(lb_edge, prefix):
    before = len(lb_edge["backend"].requests)
    with connect(lb_edge["pp_port"]) as s:
        s.sendall(prefix + get())
        s.settimeout(10)
        try:
            assert s.recv(65536) == b""   # closed without an answer
        except ConnectionResetError:
            pass                          # closed with unread bytes: a reset, also no answer
    assert len(lb_edge["backend"].requests) == before


def test_untrusted_peer_forwarding_headers_are_replaced(lb_edge):
    status, body = send(lb_edge["port"], get(headers=[("X-Forwarded-For", "6.6.6.6"), ("X-Forwarded-Proto", "https"),
                                                        ("X-Request-Id", "client-chosen")]))
    assert status == 200
    headers = seen_headers(body)
    assert headers["x-forwarded-for"] == ["127.0.0.1"]
    assert headers["x-forwarded-proto"] == ["http"]
    assert headers["x-request-id"] != ["client-chosen"] and len(headers["x-request-id"]) == 1


def test_trusted_peer_forwarding_headers_are_kept_and_appended(lb_edge):
    status, body = send(lb_edge["port"], get(headers=[("X-Forwarded-For", "6.6.6.6, 7.7.7.7"),
                                                        ("X-Forwarded-Proto", "https"),
                                                        ("X-Request-Id", "lb-123")]), source="127.0.0.2")
    assert status == 200
    headers = seen_headers(body)
    assert headers["x-forwarded-for"] == ["6.6.6.6, 7.7.7.7, 127.0.0.2"]
    assert headers["x-forwarded-proto"] == ["https"]
    assert headers["x-request-id"] == ["lb-123"]


def test_health_path_on_the_traffic_port_never_reaches_a_backend(lb_edge):
    before = len(lb_edge["backend"].requests)
    with connect(lb_edge["port"]) as s:
        s.sendall(request_bytes("GET", "/__health", "anything.example", [("Connection", "close")]))
        response = Reader(s).read_response()
    assert response.status == 200 and response.body == b"ok\n"
    assert len(lb_edge["backend"].requests) == before


@pytest.fixture(scope="module")
def redirect_edge(tmp_path_factory, database, backends):
    work = tmp_path_factory.mktemp("redirect")
    port, admin_port = free_port(), free_port()
    config = config_yaml(port, admin_port, backends["default"].port, backends["api"].port, str(work / "routes.json"))
    config = config.replace("  retry_after_seconds: 30\n", "  retry_after_seconds: 30\n  redirect_http_to_https: true\n")
    path = work / "tenant-edge.yaml"
    path.write_text(config)
    proc = EdgeProcess(str(path), edge_env(database), port, str(work))
    proc.start(ready_host="nobody.example")
    yield {"port": port}
    proc.stop()


def test_redirect_to_https_keeps_path_and_query(redirect_edge):
    with connect(redirect_edge["port"]) as s:
        s.sendall(request_bytes("GET", "/cart?item=3", f"Shop1.{PLATFORM}:80", [("Connection", "close")]))
        response = Reader(s).read_response()
    assert response.status == 308
    assert response.header("location") == f"https://shop1.{PLATFORM}/cart?item=3"


def test_acme_challenges_and_unknown_hosts_are_not_redirected(redirect_edge):
    with connect(redirect_edge["port"]) as s:
        s.sendall(request_bytes("GET", "/.well-known/acme-challenge/token", f"shop1.{PLATFORM}", [("Connection", "close")]))
        assert Reader(s).read_response().status == 200
    with connect(redirect_edge["port"]) as s:
        s.sendall(request_bytes("GET", "/x", "nobody.example", [("Connection", "close")]))
        assert Reader(s).read_response().status == 404
