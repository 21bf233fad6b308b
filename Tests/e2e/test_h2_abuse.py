"""HTTP/2 protections, each with a raw-socket client over TLS: rapid reset
(CVE-2023-44487), CONTINUATION floods (CVE-2024-27316 family), SETTINGS, PING and
empty DATA floods, and idle connections. The abusive connection is cut off (GOAWAY,
then close, or a reset) while another client is still served."""
from __future__ import annotations

import socket
import ssl
import struct
import threading
import time

import pytest

from helpers import curl
from tls_certs import start_tls_edge


@pytest.fixture(scope="module")
def h2_edge(tmp_path_factory, database, backends):
    edge = start_tls_edge(tmp_path_factory.mktemp("h2abuse"), database, backends)
    yield edge
    edge["proc"].stop()


def frame(kind: int, flags: int, stream: int, payload: bytes = b"") -> bytes:
    return struct.pack("!I", len(payload))[1:] + bytes([kind, flags]) + struct.pack("!I", stream) + payload


def request_block(authority: str) -> bytes:
    """HPACK without Huffman or dynamic table: :method GET, :scheme https, :path / from
    the static table, :authority as a literal without indexing (name index 1)."""
    value = authority.encode()
    return bytes([0x82, 0x87, 0x84, 0x01, len(value)]) + value


def open_h2(port: int, ca) -> ssl.SSLSocket:
    context = ssl.create_default_context(cafile=str(ca.cert))
    context.check_hostname = False
    context.set_alpn_protocols(["h2"])
    sock = context.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=15), server_hostname="www.shop1.test")
    assert sock.selected_alpn_protocol() == "h2"
    sock.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(0x4, 0, 0))
    return sock


def test_rapid_reset_is_cut_off_while_others_are_served(h2_edge):
    """20,000 streams opened and cancelled at once (CVE-2023-44487): the proxy ends the
    connection with a GOAWAY the client gets (nghttp2's stream reset rate limit, then a
    lingering close: the whole burst was sent, so no reset), and serves everyone else."""
    block = request_block("www.shop1.test")
    burst = b"".join(frame(0x1, 0x5, stream, block)                     # HEADERS, END_STREAM|END_HEADERS
                     + frame(0x3, 0, stream, struct.pack("!I", 8))      # RST_STREAM, CANCEL
                     for stream in range(1, 40001, 2))
    Flood(h2_edge).run(burst, 0).assert_cut_off(None, reset_allowed=False)
    port, ca = h2_edge["port"], h2_edge["ca"]
    r = curl(f"https://www.shop1.test:{port}/after", "--http2", "--cacert", str(ca.cert),
             "--resolve", f"www.shop1.test:{port}:127.0.0.1")
    assert r.status == 200


def frame_types(data: bytes) -> list[int]:
    offset, kinds = 0, []
    while offset + 9 <= len(data):
        length = int.from_bytes(data[offset:offset + 3], "big")
        kinds.append(data[offset + 3])
        offset += 9 + length
    return kinds


def goaway_code(data: bytes) -> int | None:
    offset = 0
    while offset + 9 <= len(data):
        length = int.from_bytes(data[offset:offset + 3], "big")
        if data[offset + 3] == 7 and offset + 9 + 8 <= len(data):
            return int.from_bytes(data[offset + 13:offset + 17], "big")
        offset += 9 + length
    return None


def others_still_served(h2_edge) -> None:
    port, ca = h2_edge["port"], h2_edge["ca"]
    r = curl(f"https://www.shop1.test:{port}/after", "--http2", "--cacert", str(ca.cert),
             "--resolve", f"www.shop1.test:{port}:127.0.0.1")
    assert r.status == 200
    assert r.version == "HTTP/2"


class Flood:
    """Sends `chunk` repeatedly (up to `total` bytes) on an h2 connection, then reads what
    the proxy answered; records how the proxy ended the connection. (Reading while
    sending would use one SSL object from two threads, which stalls Python's writes.)

    A proxy that closes while flood bytes it never read are still arriving makes the
    kernel send a reset, which may discard the GOAWAY it wrote last: a reset counts as
    being cut off too."""

    def __init__(self, h2_edge, first: bytes = b""):
        self.sock = open_h2(h2_edge["port"], h2_edge["ca"])
        self.received = bytearray()
        self.closed = threading.Event()
        self.reset = False
        self.error: OSError | None = None
        self.sent = 0
        if first:
            self.sock.sendall(first)

    def _read(self) -> None:
        try:
            while chunk := self.sock.recv(65536):
                self.received.extend(chunk)
        except (ConnectionResetError, ssl.SSLError) as error:
            self.reset, self.error = True, error
        except OSError as error:
            self.error = error
        self.closed.set()

    def run(self, chunk: bytes, total: int) -> "Flood":
        """Sends `chunk` until `total` bytes went out (0: once) or the proxy stops it:
        a send fails (it closed) or stalls for 10 s (it stopped reading)."""
        self.sock.settimeout(10)
        sent, self.total = 0, total
        try:
            while (sent < total or sent == 0) and chunk:
                self.sock.sendall(chunk)
                sent += len(chunk)
        except OSError:
            pass
        self.sent = sent
        threading.Thread(target=self._read, daemon=True).start()
        return self

    def assert_cut_off(self, code: int | None, reset_allowed: bool = True) -> None:
        """Closed by the proxy with GOAWAY `code` (ENHANCE_YOUR_CALM for a flood: a proxy
        that took the flood would keep the connection or close it for another reason;
        None: any code, where nghttp2 picks it), or reset, if allowed, when the flood was
        still arriving."""
        assert self.closed.wait(40), f"still open after {self.sent} bytes of flood"
        kinds = frame_types(bytes(self.received))
        if 7 in kinds:
            assert code is None or goaway_code(bytes(self.received)) == code
        else:
            assert reset_allowed and self.reset, \
                f"ended without GOAWAY or reset after {self.sent} bytes ({self.error!r}); frame types {set(kinds)}"
        self.sock.close()


ENHANCE_YOUR_CALM = 0xb


def test_continuation_flood_is_cut_off_while_others_are_served(h2_edge):
    # HEADERS without END_HEADERS, then CONTINUATION frames that never end the block.
    block = request_block("www.shop1.test")
    first = frame(0x1, 0x1, 1, block)                                   # HEADERS, END_STREAM only
    continuation = frame(0x9, 0, 1, bytes([0x40, 1, ord("x"), 1, ord("y")]))  # "x: y", literal
    flood = Flood(h2_edge, first).run(continuation * 1000, 50_000_000)
    flood.assert_cut_off(ENHANCE_YOUR_CALM)
    others_still_served(h2_edge)


def test_empty_continuation_flood_is_cut_off(h2_edge):
    first = frame(0x1, 0x1, 1, request_block("www.shop1.test"))
    flood = Flood(h2_edge, first).run(frame(0x9, 0, 1) * 4000, 50_000_000)
    flood.assert_cut_off(ENHANCE_YOUR_CALM)
    others_still_served(h2_edge)


def test_settings_frame_with_too_many_entries_is_refused(h2_edge):
    entries = b"".join(struct.pack("!HI", 0x3, 100 + i) for i in range(64))   # 64 > 32 allowed
    flood = Flood(h2_edge).run(frame(0x4, 0, 0, entries), 0)   # one frame is enough
    flood.assert_cut_off(ENHANCE_YOUR_CALM, reset_allowed=False)
    others_still_served(h2_edge)


def test_settings_flood_from_a_client_that_never_reads_is_cut_off(h2_edge):
    # Every SETTINGS needs an ACK; a client that does not read makes them pile up.
    flood = Flood(h2_edge).run(frame(0x4, 0, 0) * 4000, 50_000_000)
    flood.assert_cut_off(ENHANCE_YOUR_CALM)
    others_still_served(h2_edge)


def test_ping_flood_from_a_client_that_never_reads_is_cut_off(h2_edge):
    flood = Flood(h2_edge).run(frame(0x6, 0, 0, b"12345678") * 2000, 50_000_000)
    flood.assert_cut_off(ENHANCE_YOUR_CALM)
    others_still_served(h2_edge)


def test_empty_data_frame_flood_is_cut_off(h2_edge):
    # A POST whose body never comes: only DATA frames with no bytes and no END_STREAM.
    block = bytes([0x83]) + request_block("www.shop1.test")[1:]           # :method POST
    first = frame(0x1, 0x4, 1, block)                                     # HEADERS, END_HEADERS
    flood = Flood(h2_edge, first).run(frame(0x0, 0, 1) * 4000, 50_000_000)
    flood.assert_cut_off(ENHANCE_YOUR_CALM)
    others_still_served(h2_edge)


@pytest.fixture(scope="module")
def idle_edge(tmp_path_factory, database, backends):
    edge = start_tls_edge(tmp_path_factory.mktemp("h2idle"), database, backends, timeouts={"client_keepalive": 1})
    yield edge
    edge["proc"].stop()


def test_idle_h2_connection_gets_goaway_and_is_closed(idle_edge):
    flood = Flood(idle_edge).run(b"", 0)
    flood.assert_cut_off(0, reset_allowed=False)   # GOAWAY NO_ERROR: the client may reconnect
    others_still_served(idle_edge)


def test_pings_do_not_keep_an_idle_h2_connection_open(idle_edge):
    sock = open_h2(idle_edge["port"], idle_edge["ca"])
    received = bytearray()
    sock.settimeout(0.2)
    deadline = time.monotonic() + 30
    closed = False
    while not closed and time.monotonic() < deadline:
        try:
            sock.sendall(frame(0x6, 0, 0, b"stayhere"))
            while chunk := sock.recv(65536):
                received.extend(chunk)
            closed = True
        except (socket.timeout, ssl.SSLWantReadError):
            continue
        except OSError:
            closed = True
    assert closed, "PINGs kept an idle connection open"
    assert 6 in frame_types(bytes(received)), "PINGs were not answered while the connection was open"
    assert goaway_code(bytes(received)) == 0
