"""Malformed requests are answered by the proxy with the right status and a closed
connection, and never reach the backend (issue 2, strict RFC 9112 parser)."""

import pytest

from helpers import Reader, connect, marker, read_until_closed

H = "www.shop1.test"


def head(m, *lines, request_line=None):
    first = request_line or f"GET /{m} HTTP/1.1"
    return ("\r\n".join([first, *lines]) + "\r\n\r\n").encode("latin-1")


# Errors in a body (chunk framing) can only show after the head was forwarded: the
# proxy streams bodies. For those the backend may see the head, never a complete request.
BODY_ERRORS = {"bad-chunk-size", "bad-chunk-framing"}

CASES = [
    # id, status(es), builder(marker) -> bytes
    ("two-hosts", {400}, lambda m: head(m, f"Host: {H}", "Host: shop2.example.test")),
    ("missing-host", {400}, lambda m: head(m, "Accept: */*")),
    ("bad-host", {400}, lambda m: head(m, "Host: www.shop1.test/evil")),
    ("cl-and-te", {400}, lambda m: head(m, f"Host: {H}", "Content-Length: 5", "Transfer-Encoding: chunked",
                                        request_line=f"POST /{m} HTTP/1.1") + b"0\r\n\r\n"),
    ("differing-cl", {400}, lambda m: head(m, f"Host: {H}", "Content-Length: 5", "Content-Length: 6",
                                           request_line=f"POST /{m} HTTP/1.1") + b"hello"),
    ("malformed-cl", {400}, lambda m: head(m, f"Host: {H}", "Content-Length: 5x",
                                           request_line=f"POST /{m} HTTP/1.1") + b"hello"),
    ("te-not-chunked", {400, 501}, lambda m: head(m, f"Host: {H}", "Transfer-Encoding: gzip",
                                                  request_line=f"POST /{m} HTTP/1.1")),
    ("obs-fold", {400}, lambda m: head(m, f"Host: {H}", "X-Folded: one", " two")),
    ("space-before-colon", {400}, lambda m: head(m, f"Host: {H}", "X-Bad : value")),
    ("nul-in-header", {400}, lambda m: head(m, f"Host: {H}", "X-Nul: a\x00b")),
    ("bare-cr", {400}, lambda m: head(m, f"Host: {H}", "X-Cr: a\rb")),
    ("bad-chunk-size", {400}, lambda m: head(m, f"Host: {H}", "Transfer-Encoding: chunked",
                                             request_line=f"POST /{m} HTTP/1.1") + b"zz\r\nhello\r\n0\r\n\r\n"),
    ("bad-chunk-framing", {400}, lambda m: head(m, f"Host: {H}", "Transfer-Encoding: chunked",
                                                request_line=f"POST /{m} HTTP/1.1") + b"5\r\nhelloXX0\r\n\r\n"),
    ("http-2.0-request-line", {505}, lambda m: head(m, f"Host: {H}", request_line=f"GET /{m} HTTP/2.0")),
    ("http-1.2", {505}, lambda m: head(m, f"Host: {H}", request_line=f"GET /{m} HTTP/1.2")),
    ("oversized-head", {431}, lambda m: head(m, f"Host: {H}", *[f"X-Big-{i}: {'a' * 1000}" for i in range(40)])),
    ("too-many-fields", {431}, lambda m: head(m, f"Host: {H}", *[f"X-F{i}: v" for i in range(150)])),
    ("long-request-line", {414, 431}, lambda m: head(m, f"Host: {H}",
                                                     request_line=f"GET /{m}?{'a' * 40000} HTTP/1.1")),
]


@pytest.mark.parametrize("name,statuses,build", CASES, ids=[c[0] for c in CASES])
def test_rejected_with_status_and_close_never_forwarded(edge, name, statuses, build):
    m = marker(name)
    with connect(edge.port) as s:
        try:
            s.sendall(build(m))
        except (BrokenPipeError, ConnectionResetError):
            pass  # the proxy may answer and close before it has read everything
        reader = Reader(s)
        try:
            resp = reader.read_response()
        except ConnectionResetError:
            pytest.fail(f"{name}: connection reset before a response (the proxy should answer, then close)")
        assert resp.status in statuses, f"{name}: {resp.describe()}"
        assert reader.at_eof(5), f"{name}: the proxy must close the connection after a {resp.status}"
    seen = edge.backend.seen(m, complete_only=name in BODY_ERRORS)
    assert not seen, f"{name}: the backend saw this request: {seen}"


def test_proxy_still_serves_after_rejections(edge):
    with connect(edge.port) as s:
        s.sendall(head("after", f"Host: {H}"))
        resp = Reader(s).read_response()
    assert resp.status == 200, resp.describe()


def test_valid_edge_forms_are_accepted(edge):
    """Forms a strict parser must still accept: HTTP/1.0 with Host, repeated identical
    Content-Length, a chunk extension and trailer, tabs around values."""
    m = marker("valid")
    reqs = [
        (b"GET /" + m.encode() + b"/a HTTP/1.0\r\nHost: " + H.encode() + b"\r\n\r\n", "GET"),
        (head(m + "/b", f"Host: {H}", "Content-Length: 5, 5", request_line=f"POST /{m}/b HTTP/1.1") + b"hello", "POST"),
        (head(m + "/c", f"Host: {H}", "Transfer-Encoding: chunked", request_line=f"POST /{m}/c HTTP/1.1")
         + b"5;ext=1\r\nhello\r\n0\r\nX-Trailer: t\r\n\r\n", "POST"),
        (head(m + "/d", f"Host:\t{H}\t", "X-Tab:\tv\t"), "GET"),
    ]
    for raw, method in reqs:
        with connect(edge.port) as s:
            s.sendall(raw)
            resp = Reader(s).read_response(method)
        assert resp.status == 200, f"{raw[:60]!r}: {resp.describe()}"
    assert len(edge.backend.seen(m)) == 4
    bodies = {r["target"].rsplit("/", 1)[-1]: r["body_len"] for r in edge.backend.seen(m)}
    assert bodies.get("b") == 5 and bodies.get("c") == 5, bodies


def test_header_read_timeout_closes_idle_partial_request(edge):
    """client_header is 5 s in the test config: a head that never completes is dropped
    (408 allowed, since bytes were received)."""
    m = marker("slowloris")
    with connect(edge.port, timeout=20) as s:
        s.sendall(f"GET /{m} HTTP/1.1\r\nHost: {H}\r\nX-Partial: ".encode())
        s.settimeout(15)
        data = read_until_closed(s, "the proxy kept a never-finished request head open longer than 15 s")
        assert data == b"" or data.startswith(b"HTTP/1.1 408"), data[:200]
    assert not edge.backend.seen(m)
