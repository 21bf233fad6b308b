"""HTTP/2 protections: a client that opens and resets streams as fast as it can
(CVE-2023-44487, "rapid reset") is cut off with GOAWAY while other clients are served."""
from __future__ import annotations

import socket
import ssl
import struct
import threading

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
    port, ca = h2_edge["port"], h2_edge["ca"]
    sock = open_h2(port, ca)
    block = request_block("www.shop1.test")
    received = bytearray()
    done = threading.Event()

    def reader():
        try:
            while chunk := sock.recv(65536):
                received.extend(chunk)
        except OSError:
            pass
        done.set()

    threading.Thread(target=reader, daemon=True).start()
    burst = bytearray()
    sent_streams = 0
    try:
        for stream in range(1, 40001, 2):
            burst += frame(0x1, 0x5, stream, block)                      # HEADERS, END_STREAM|END_HEADERS
            burst += frame(0x3, 0, stream, struct.pack("!I", 8))          # RST_STREAM, CANCEL
            if len(burst) > 32768:
                sock.sendall(burst)
                burst.clear()
            sent_streams += 1
        sock.sendall(burst)
    except OSError:
        pass  # the proxy closed the connection mid-burst: what we want
    assert done.wait(20), "the abusive connection was never closed"
    # Find a GOAWAY (type 7) among the frames the proxy sent.
    offset, kinds = 0, []
    while offset + 9 <= len(received):
        length = int.from_bytes(received[offset:offset + 3], "big")
        kinds.append(received[offset + 3])
        offset += 9 + length
    assert 7 in kinds, f"no GOAWAY after {sent_streams} streams; frame types {set(kinds)}"
    sock.close()
    # Everyone else is still served.
    r = curl(f"https://www.shop1.test:{port}/after", "--http2", "--cacert", str(ca.cert),
             "--resolve", f"www.shop1.test:{port}:127.0.0.1")
    assert r.status == 200
