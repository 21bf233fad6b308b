"""TLS termination: certificate choice by SNI (exact, wildcard, certbot layout, default,
no SNI), bad files skipped, 421 on Host/SNI of different stores, forwarding headers over
https, and certificates swapped by SIGHUP without dropping connections."""
from __future__ import annotations

import json
import re
import signal
import socket
import ssl
import subprocess
import time
from pathlib import Path

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


# ---------------------------------------------------------------------------
# Session resumption with rotating ticket keys (openssl s_client, -sess_out/-sess_in)

def s_client(port: int, ca: CertAuthority, *args: str, name: str = "www.shop1.test", status: int = 200) -> str:
    """One https request with the openssl CLI; returns its output (handshake summary
    included). The request makes s_client stay until the server has sent its tickets."""
    request = f"GET /tls HTTP/1.1\r\nHost: {name}\r\nConnection: close\r\n\r\n".encode()
    r = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-servername", name,
                        "-CAfile", str(ca.cert), "-ign_eof", *args],
                       input=request, capture_output=True, timeout=30)
    out = r.stdout.decode("latin-1")
    assert f"HTTP/1.1 {status}" in out, f"no {status} response over TLS:\n{out}\n{r.stderr.decode('latin-1')}"
    return out


def resumed(output: str) -> bool:
    if "\nReused, " in output:
        return True
    assert "\nNew, " in output, output
    return False


def ticket(session: Path | str) -> str:
    """The ticket bytes of a session (hex dump): from a saved session file, or from the
    session summary s_client prints (after a resumption, the ticket in use at the end,
    which is a new one only if the server renewed it; -sess_out is not written then)."""
    text = session if isinstance(session, str) else subprocess.run(
        ["openssl", "sess_id", "-in", str(session), "-noout", "-text"],
        check=True, capture_output=True, text=True).stdout
    match = re.search(r"TLS session ticket:\n(.*?)\n\n", text, re.S)
    assert match, text
    return match.group(1)


def reloads(edge) -> int:
    return edge["proc"].stderr_tail(5000).count("configuration reloaded")


@pytest.mark.parametrize("version", ["-tls1_2", "-tls1_3"])
def test_session_ticket_resumes_on_every_worker(tls_edge, tmp_path, version):
    port, ca = tls_edge["port"], tls_edge["ca"]
    session = tmp_path / "session.pem"
    assert not resumed(s_client(port, ca, version, "-sess_out", str(session)))
    # SO_REUSEPORT spreads these over both workers; every one resumes the same ticket.
    for _ in range(6):
        assert resumed(s_client(port, ca, version, "-sess_in", str(session)))


def test_tls12_ticket_under_the_current_key_is_not_renewed(tls_edge, tmp_path):
    port, ca = tls_edge["port"], tls_edge["ca"]
    first = tmp_path / "first.pem"
    s_client(port, ca, "-tls1_2", "-sess_out", str(first))
    output = s_client(port, ca, "-tls1_2", "-sess_in", str(first))
    assert resumed(output)
    assert ticket(output) == ticket(first), "no new ticket while its key is current"


def test_session_ticket_resumes_across_sighup(tls_edge, tmp_path):
    port, ca = tls_edge["port"], tls_edge["ca"]
    tls12, tls13 = tmp_path / "tls12.pem", tmp_path / "tls13.pem"
    s_client(port, ca, "-tls1_2", "-sess_out", str(tls12))
    s_client(port, ca, "-tls1_3", "-sess_out", str(tls13))
    before = reloads(tls_edge)
    tls_edge["proc"].proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 10
    while reloads(tls_edge) == before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert reloads(tls_edge) > before, tls_edge["proc"].stderr_tail()
    # New certificate contexts, same ticket keys: both sessions still resume.
    assert resumed(s_client(port, ca, "-tls1_2", "-sess_in", str(tls12)))
    assert resumed(s_client(port, ca, "-tls1_3", "-sess_in", str(tls13)))


@pytest.fixture(scope="module")
def rotating_edge(tmp_path_factory, database, backends):
    edge = start_tls_edge(tmp_path_factory.mktemp("tickets"), database, backends,
                          tls_extra="  session_ticket_rotation: 2\n")
    yield edge
    edge["proc"].stop()


def rotations(edge) -> int:
    """How many times the proxy has rotated its ticket keys (from its log)."""
    numbers = [int(m.group(1)) for line in edge["proc"].stderr_tail(5000).splitlines()
               if "session ticket keys rotated" in line and (m := re.search(r'rotation"?[=:]"?(\d+)', line))]
    return max(numbers, default=0)


def wait_for_rotation(edge, at_least: int) -> int:
    deadline = time.monotonic() + 30
    while rotations(edge) < at_least:
        assert time.monotonic() < deadline, f"no key rotation {at_least}:\n{edge['proc'].stderr_tail()}"
        time.sleep(0.05)
    return rotations(edge)


def session_between_rotations(edge, path: Path, version: str) -> int:
    """Saves a session whose ticket was issued while rotation N was current; returns N."""
    for _ in range(5):
        before = rotations(edge)
        s_client(edge["port"], edge["ca"], version, "-sess_out", str(path))
        if rotations(edge) == before:
            return before
    pytest.fail("could not get a ticket between two rotations")


def test_ticket_under_the_previous_key_resumes_and_is_renewed(rotating_edge, tmp_path):
    first = tmp_path / "first.pem"
    for _ in range(5):
        issued = session_between_rotations(rotating_edge, first, "-tls1_2")
        wait_for_rotation(rotating_edge, issued + 1)
        output = s_client(rotating_edge["port"], rotating_edge["ca"], "-tls1_2", "-sess_in", str(first))
        if rotations(rotating_edge) == issued + 1:   # resumed while its key was the previous one
            break
    else:
        pytest.fail("could not resume between two rotations")
    assert resumed(output)
    assert ticket(output) != ticket(first), "a ticket under the previous key must be replaced"


@pytest.mark.parametrize("version", ["-tls1_2", "-tls1_3"])
def test_ticket_whose_key_rotated_out_gets_a_full_handshake(rotating_edge, tmp_path, version):
    session = tmp_path / "session.pem"
    issued = session_between_rotations(rotating_edge, session, version)
    wait_for_rotation(rotating_edge, issued + 2)
    assert not resumed(s_client(rotating_edge["port"], rotating_edge["ca"], version, "-sess_in", str(session)))
    # and the proxy serves the full handshake normally (checked inside s_client)


# ---------------------------------------------------------------------------
# OCSP stapling from `<certificate file>.ocsp`

def add_ocsp_files(ca: CertAuthority, work: Path, certs: Path) -> None:
    ca.ocsp_response(certs / "www.shop1.test.pem", certs / "www.shop1.test.pem.ocsp")
    demo = certs / "live" / "www.demo1.test" / "fullchain.pem"
    ca.ocsp_response(demo, demo.with_name("fullchain.pem.ocsp"))                       # certbot layout
    (certs / f"_wildcard.{PLATFORM}.pem.ocsp").write_bytes(b"\x30\x03garbage, not DER")
    ca.ocsp_response(certs / "www.shop1.test.pem", work / "default.pem.ocsp")          # another cert's


@pytest.fixture(scope="module")
def ocsp_edge(tmp_path_factory, database, backends):
    edge = start_tls_edge(tmp_path_factory.mktemp("ocsp"), database, backends, before_start=add_ocsp_files)
    yield edge
    edge["proc"].stop()


def stapled(edge, name: str, status: int = 200) -> bool:
    output = s_client(edge["port"], edge["ca"], "-status", name=name, status=status)
    if "OCSP response: no response sent" in output:
        return False
    assert "OCSP Response Status: successful" in output, output
    assert "Cert Status: good" in output, output
    return True


@pytest.mark.parametrize("name", ["www.shop1.test", "www.demo1.test"])
def test_ocsp_response_next_to_the_certificate_is_stapled(ocsp_edge, name):
    assert stapled(ocsp_edge, name)


def test_ocsp_is_only_sent_to_clients_that_ask(ocsp_edge):
    output = s_client(ocsp_edge["port"], ocsp_edge["ca"])
    assert "OCSP" not in output


def test_bad_ocsp_files_are_skipped_by_name_and_the_certificate_still_serves(ocsp_edge):
    log = ocsp_edge["proc"].stderr_tail(400)
    garbage = f"_wildcard.{PLATFORM}.pem.ocsp"
    assert garbage in log and "not a DER OCSP response" in log
    assert "default.pem.ocsp" in log and "not about this certificate" in log
    assert not stapled(ocsp_edge, f"shop1.{PLATFORM}")     # served (200 checked), nothing stapled
    assert not stapled(ocsp_edge, "unknown.test", status=404)


def test_sighup_reloads_ocsp_responses(ocsp_edge):
    wildcard = ocsp_edge["certs"] / f"_wildcard.{PLATFORM}.pem"
    ocsp_edge["ca"].ocsp_response(wildcard, wildcard.with_name(wildcard.name + ".ocsp"))
    before = reloads(ocsp_edge)
    ocsp_edge["proc"].proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 10
    while reloads(ocsp_edge) == before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert reloads(ocsp_edge) > before, ocsp_edge["proc"].stderr_tail()
    assert stapled(ocsp_edge, f"shop1.{PLATFORM}")
