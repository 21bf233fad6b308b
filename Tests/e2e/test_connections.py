"""Connection behaviour: keep-alive with alternating stores, pipelining, bodiless
responses on a kept-alive connection, upstream reuse, and Upgrade tunnels."""

import os

from helpers import PLATFORM, STORES, Reader, connect, request_bytes

ROTATION = [("www.shop1.test", "shop1"), ("shop2.example.test", "shop2"),
            (f"demo1.{PLATFORM}", "demo1"), (f"shop2.{PLATFORM}", "shop2")]


def store_of(resp):
    assert resp.status == 200, resp.describe()
    echo = resp.json()
    slugs = [v for n, v in echo["headers"] if n.lower() == "x-store-slug"]
    ids = [v for n, v in echo["headers"] if n.lower() == "x-store-id"]
    assert len(slugs) == 1 and len(ids) == 1, echo["headers"]
    assert STORES[slugs[0]] == ids[0]
    return slugs[0], echo


def test_keepalive_alternating_stores_never_mix(edge):
    with connect(edge.port) as s:
        reader = Reader(s)
        for i in range(12):
            host, slug = ROTATION[i % len(ROTATION)]
            s.sendall(request_bytes("GET", f"/ka/{i}", host))
            got, echo = store_of(reader.read_response())
            assert got == slug, f"request {i} for {host} reached {got}"
            assert echo["target"] == f"/ka/{i}"


def test_pipelined_requests_answered_in_order_for_the_right_stores(edge):
    reqs = [("www.shop1.test", "shop1"), ("shop2.example.test", "shop2"), (f"demo1.{PLATFORM}", "demo1")]
    raw = b"".join(request_bytes("GET", f"/pipe/{i}", h) for i, (h, _) in enumerate(reqs))
    with connect(edge.port) as s:
        s.sendall(raw)  # one write: all three arrive together
        reader = Reader(s)
        for i, (host, slug) in enumerate(reqs):
            got, echo = store_of(reader.read_response())
            assert (got, echo["target"]) == (slug, f"/pipe/{i}")


def test_pipelined_post_bodies_stay_with_their_requests(edge):
    bodies = [os.urandom(1000), os.urandom(70000), b"x"]
    raw = b"".join(request_bytes("POST", f"/pp/{i}", "www.shop1.test", body=b) for i, b in enumerate(bodies))
    raw += request_bytes("GET", "/pp/last", "shop2.example.test")
    with connect(edge.port) as s:
        s.sendall(raw)
        reader = Reader(s)
        for i, b in enumerate(bodies):
            _, echo = store_of(reader.read_response("POST"))
            assert echo["target"] == f"/pp/{i}" and echo["body_len"] == len(b)
        slug, echo = store_of(reader.read_response())
        assert slug == "shop2" and echo["target"] == "/pp/last"


def test_head_204_304_have_no_body_on_a_kept_alive_connection(edge):
    with connect(edge.port) as s:
        reader = Reader(s)
        s.sendall(request_bytes("HEAD", "/big?bytes=5000", "www.shop1.test"))
        head = reader.read_response("HEAD")
        assert head.status == 200 and head.header("Content-Length") == "5000", head.describe()
        s.sendall(request_bytes("GET", "/status/204", "www.shop1.test"))
        r204 = reader.read_response()
        assert r204.status == 204 and r204.body == b""
        s.sendall(request_bytes("GET", "/status/304", "shop2.example.test", [("If-None-Match", '"echo"')]))
        r304 = reader.read_response()
        assert r304.status == 304 and r304.body == b""
        s.sendall(request_bytes("HEAD", "/big?bytes=5000&chunked=1", "www.shop1.test"))
        assert reader.read_response("HEAD").status == 200
        # Any body bytes wrongly sent after those heads would corrupt this response.
        s.sendall(request_bytes("GET", "/after-bodiless", "www.shop1.test"))
        slug, echo = store_of(reader.read_response())
        assert slug == "shop1" and echo["target"] == "/after-bodiless"
        assert echo["method"] == "GET"


def test_upstream_connections_are_reused(edge):
    """Sequential requests on one client connection should not cost a new upstream
    connection each (DESIGN.md section 2: no connect and close per request)."""
    with connect(edge.port) as s:
        reader = Reader(s)
        conns = []
        for i in range(10):
            s.sendall(request_bytes("GET", f"/reuse/{i}", "www.shop1.test"))
            _, echo = store_of(reader.read_response())
            conns.append(echo["conn_id"])
    assert len(set(conns)) <= 3, f"upstream connection ids {conns}: the pool is not reusing connections"


def test_connection_close_from_client_is_honoured(edge):
    with connect(edge.port) as s:
        s.sendall(request_bytes("GET", "/bye", "www.shop1.test", [("Connection", "close")]))
        reader = Reader(s)
        store_of(reader.read_response())
        assert reader.at_eof(5), "the proxy must close after Connection: close"


def test_websocket_upgrade_becomes_a_tunnel(edge):
    with connect(edge.port) as s:
        s.sendall(request_bytes("GET", "/ws", "www.shop1.test", [
            ("Upgrade", "websocket"), ("Connection", "Upgrade"),
            ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="), ("Sec-WebSocket-Version", "13"),
        ]))
        reader = Reader(s)
        resp = reader.read_response(skip_interim=False)
        assert resp.status == 101, resp.describe()
        assert (resp.header("Upgrade") or "").lower() == "websocket"
        assert resp.header("Sec-WebSocket-Accept") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        leftover = bytes(reader.buf)
        for payload in (b"hello through the tunnel", os.urandom(200_000), b"\x00\xff\r\n\r\nGET / HTTP/1.1\r\n\r\n"):
            s.sendall(payload)
            got = bytearray(leftover)
            leftover = b""
            while len(got) < len(payload):
                chunk = s.recv(65536)
                assert chunk, f"tunnel closed after {len(got)} of {len(payload)} echoed bytes"
                got += chunk
            assert bytes(got) == payload
