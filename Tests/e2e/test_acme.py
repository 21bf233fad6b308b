"""Certificates on demand against a real ACME server: Debian's pebble (Let's Encrypt's test
CA) on loopback, with real HTTP-01 validation. pebble resolves every name to 127.0.0.1 through
pebble-challtestsrv's DNS and connects to the proxy's plain listener, which answers the
challenge itself. Two proxies share one database."""
from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import ssl
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import edge_env
from helpers import EdgeProcess, config_yaml, free_port
from tls_certs import CertAuthority

pytestmark = pytest.mark.skipif(shutil.which("pebble") is None or shutil.which("pebble-challtestsrv") is None,
                                reason="pebble is not installed (scripts/bootstrap installs it)")

ENCRYPTION_KEY = base64.b64encode(bytes(range(32))).decode()


def start_pebble(work: Path, http_port: int, tls_port: int):
    """pebble-challtestsrv (DNS answering 127.0.0.1 for every name) and pebble validating
    HTTP-01 on `http_port` and TLS-ALPN-01 on `tls_port`, with a CA of the test's own for
    pebble's listener and the proxies' default certificate. Returns the CA, the processes
    to stop, pebble's log file, pebble's port, the DNS port and challtestsrv's management port."""
    ca = CertAuthority(work / "ca")
    ca.issue(work / "pebble.pem", work / "pebble.key", ["localhost"])
    ca.issue(work / "default.pem", work / "default.key", ["default.test"])
    procs: list = []
    dns_port, challtest_admin = free_port(), free_port()
    procs.append(subprocess.Popen(
        ["pebble-challtestsrv", "-dns01", f"127.0.0.1:{dns_port}", "-http01", "", "-https01", "",
         "-tlsalpn01", "", "-management", f"127.0.0.1:{challtest_admin}", "-defaultIPv4", "127.0.0.1",
         "-defaultIPv6", ""], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    pebble_port, pebble_admin = free_port(), free_port()
    (work / "pebble.json").write_text(json.dumps({"pebble": {
        "listenAddress": f"127.0.0.1:{pebble_port}", "managementListenAddress": f"127.0.0.1:{pebble_admin}",
        "certificate": str(work / "pebble.pem"), "privateKey": str(work / "pebble.key"),
        "httpPort": http_port, "tlsPort": tls_port, "ocspResponderURL": "",
        "externalAccountBindingRequired": False}}))
    pebble_log = open(work / "pebble.log", "w")
    env = {**os.environ, "PEBBLE_VA_NOSLEEP": "1"}
    procs.append(subprocess.Popen(["pebble", "-config", str(work / "pebble.json"), "-dnsserver",
                                   f"127.0.0.1:{dns_port}"], env=env, stdout=pebble_log, stderr=subprocess.STDOUT))
    wait_for("pebble", lambda: _listening(pebble_port), 20)
    wait_for("challtestsrv", lambda: _listening(challtest_admin), 20)
    return ca, procs, pebble_log, pebble_port, dns_port, challtest_admin


def acme_edge_config(work: Path, index: int, backends: dict, port: int, tls_port: int, admin_port: int,
                     pebble_port: int, ca, acme_extra: str = "") -> str:
    """The test config with an https listener, the default certificate and `acme:` against
    pebble (fast scans and retries); `acme_extra` adds lines to `acme:`."""
    config = config_yaml(port, admin_port, backends["default"].port, backends["api"].port,
                         str(work / f"routes{index}.json"))
    config = config.replace("listen:\n", f'listen:\n  - {{ address: "127.0.0.1:{tls_port}", protocol: https }}\n', 1)
    return config + f"""tls:
  default_certificate: {{ cert: "{work / 'default.pem'}", key: "{work / 'default.key'}" }}
acme:
  enabled: true
  directory_url: "https://localhost:{pebble_port}/dir"
  ca_file: "{ca.cert}"
  scan_interval: 1
  retry_initial: 3
  retry_max: 60
{acme_extra}"""


def stop_all(edges: list, procs: list, pebble_log) -> None:
    for edge in edges:
        edge.stop()
    for proc in procs:
        proc.terminate()
        proc.wait(timeout=10)
    pebble_log.close()


def psql(url: str, sql: str) -> str:
    out = subprocess.run(["psql", url, "-XAtqc", sql], check=True, capture_output=True, text=True)
    return out.stdout.strip()


def wait_for(what: str, check, timeout: float = 90.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.3)
    pytest.fail(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def acme(tmp_path_factory, database, backends):
    """pebble + its DNS, and two proxies on one database (the first receives HTTP-01)."""
    work = tmp_path_factory.mktemp("acme")
    plain = [free_port(), free_port()]
    ca, procs, pebble_log, pebble_port, dns_port, challtest_admin = start_pebble(work, http_port=plain[0],
                                                                                   tls_port=free_port())

    edges = []
    for index, port in enumerate(plain):
        tls_port, admin_port = free_port(), free_port()
        config = acme_edge_config(work, index, backends, port, tls_port, admin_port, pebble_port, ca,
                                  "  email: ops@platform.test\n")
        path = work / f"edge{index}.yaml"
        path.write_text(config)
        proc = EdgeProcess(str(path), {**edge_env(database), "ENCRYPTION_KEY": ENCRYPTION_KEY}, port, str(work))
        proc.start()
        edges.append({"proc": proc, "tls": tls_port, "admin": admin_port})
    yield {"edges": edges, "db": database, "challtest": challtest_admin, "work": work}
    stop_all([edge["proc"] for edge in edges], procs, pebble_log)


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def add_custom_domain(db: str, host: str, ssl_enabled: bool = True) -> None:
    slug = host.replace(".", "-")
    psql(db, f"""
        INSERT INTO stores (slug, status, is_active) VALUES ('{slug}', 'active', true);
        INSERT INTO store_hostnames (store_id, hostname, slug, is_custom_domain, ssl_enabled)
        SELECT id, '{host}', '{slug}', true, {str(ssl_enabled).lower()} FROM stores WHERE slug = '{slug}';""")


def served(port: int, sni: str) -> dict:
    """The leaf the proxy presents for `sni` (not verified: pebble's root is random)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname=sni) as tls:
            der = tls.getpeercert(binary_form=True)
    text = subprocess.run(["openssl", "x509", "-inform", "DER", "-noout", "-subject", "-issuer", "-ext",
                           "subjectAltName", "-serial"], input=der, capture_output=True, check=True).stdout.decode()
    return {"text": text, "serial": text.split("serial=")[-1].strip()}


def row(db: str, host: str) -> dict | None:
    out = psql(db, f"""SELECT state, orders, failures, coalesce(failure_reason, ''),
        coalesce(extract(epoch FROM next_attempt_at - updated_at)::int, -1)
        FROM tenant_edge_certificates WHERE hostname = '{host}'""")
    if not out:
        return None
    state, orders, failures, reason, backoff = out.split("|")
    return {"state": state, "orders": int(orders), "failures": int(failures), "reason": reason, "backoff": int(backoff)}


def route_report(admin_port: int, host: str) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{admin_port}/routes/{host}", timeout=5) as response:
        return json.loads(response.read())


def test_a_new_custom_domain_gets_a_certificate_on_both_instances_ordered_once(acme):
    db, edges = acme["db"], acme["edges"]
    host = "www.acme-shop1.test"
    # Before the row exists, the name gets the default certificate and no order.
    assert "default.test" in served(edges[0]["tls"], host)["text"]
    add_custom_domain(db, host)
    for edge in edges:
        cert = wait_for(f"{host} served by :{edge['tls']}",
                        lambda: (c := served(edge["tls"], host)) and f"DNS:{host}" in c["text"] and c)
        assert "Pebble" in cert["text"] or "pebble" in cert["text"]
    assert row(db, host)["orders"] == 1
    assert row(db, host)["state"] == "valid"
    report = route_report(edges[1]["admin"], host)
    assert report["certificate"]["state"] == "valid" and report["certificate"]["not_after"]
    with urllib.request.urlopen(f"http://127.0.0.1:{edges[0]['admin']}/metrics", timeout=5) as response:
        assert 'tenant_edge_acme_certificates{state="valid"}' in response.read().decode()


def s_client_session(port: int, host: str, *args: str) -> str:
    """One request over TLS with the openssl CLI (it waits for the server's tickets); the
    handshake summary says New or Reused. Not verified: pebble's root is random."""
    request = f"GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode()
    r = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-servername", host,
                        "-ign_eof", *args], input=request, capture_output=True, timeout=30)
    out = r.stdout.decode("latin-1")
    assert "\nNew, " in out or "\nReused, " in out, out + r.stderr.decode("latin-1")
    return out


@pytest.mark.parametrize("version", ["-tls1_2", "-tls1_3"])
def test_sessions_resume_on_an_issued_certificate(acme, tmp_path, version):
    """Issued certificates use the process's ticket key ring like the files' ones: a
    ticket received on one resumes (on any worker)."""
    db, edge = acme["db"], acme["edges"][0]
    host = "www.acme-resume.test"
    if psql(db, f"SELECT count(*) FROM store_hostnames WHERE hostname = '{host}'") == "0":
        add_custom_domain(db, host)
    wait_for(f"{host} served", lambda: f"DNS:{host}" in served(edge["tls"], host)["text"])
    session = tmp_path / "session.pem"
    first = s_client_session(edge["tls"], host, version, "-sess_out", str(session))
    assert "\nNew, " in first
    assert session.exists() and session.stat().st_size > 0, "no ticket issued on the issued certificate"
    for _ in range(4):
        assert "\nReused, " in s_client_session(edge["tls"], host, version, "-sess_in", str(session))


def test_the_private_key_at_rest_is_encrypted(acme):
    db = acme["db"]
    host = "www.acme-shop1.test"
    wait_for("certificate row", lambda: (r := row(db, host)) and r["state"] == "valid")
    key_hex = psql(db, f"SELECT encode(key_ciphertext, 'hex') FROM tenant_edge_certificates WHERE hostname = '{host}'")
    assert len(key_hex) > 200
    assert b"PRIVATE KEY".hex() not in key_hex
    assert b"-----BEGIN".hex() not in key_hex
    assert psql(db, f"SELECT length(key_nonce) FROM tenant_edge_certificates WHERE hostname = '{host}'") == "12"
    assert "BEGIN CERTIFICATE" in psql(db, f"SELECT chain_pem FROM tenant_edge_certificates WHERE hostname = '{host}'")


def test_an_unknown_or_ineligible_name_never_triggers_an_order(acme):
    db, edges = acme["db"], acme["edges"]
    add_custom_domain(db, "no-tls.acme-shop2.test", ssl_enabled=False)
    for name in ["nobody-owns-this.test", "no-tls.acme-shop2.test"]:
        for _ in range(3):
            assert "default.test" in served(edges[0]["tls"], name)["text"]
    time.sleep(3)  # several scan intervals: a wrong trigger would have placed an order by now
    assert row(db, "nobody-owns-this.test") is None
    assert row(db, "no-tls.acme-shop2.test") is None
    assert route_report(edges[0]["admin"], "nobody-owns-this.test")["certificate"]["state"] == "none"


def test_renewal_orders_again_when_two_thirds_of_the_lifetime_passed(acme):
    db, edges = acme["db"], acme["edges"]
    host = "www.acme-shop1.test"
    wait_for("certificate row", lambda: (r := row(db, host)) and r["state"] == "valid")
    before = served(edges[0]["tls"], host)["serial"]
    orders = row(db, host)["orders"]
    # Make the stored certificate look 80 days into a 90-day life.
    psql(db, f"""UPDATE tenant_edge_certificates SET not_before = now() - interval '80 days',
                 not_after = now() + interval '10 days' WHERE hostname = '{host}'""")
    wait_for("renewed row", lambda: (r := row(db, host)) and r["orders"] == orders + 1 and r["state"] == "valid")
    for edge in edges:
        wait_for("renewed certificate served", lambda: served(edge["tls"], host)["serial"] != before)
    assert row(db, host)["orders"] == orders + 1


def test_a_failing_challenge_backs_off(acme):
    db, edges = acme["db"], acme["edges"]
    host = "broken.acme-shop3.test"
    # pebble will look for the challenge at 127.0.0.2, where nothing listens.
    request = urllib.request.Request(f"http://127.0.0.1:{acme['challtest']}/add-a",
                                     data=json.dumps({"host": host + ".", "addresses": ["127.0.0.2"]}).encode())
    urllib.request.urlopen(request, timeout=5).read()
    add_custom_domain(db, host)
    first = wait_for("a failure", lambda: (r := row(db, host)) and r["failures"] >= 1 and r)
    assert first["state"] == "failing" and first["reason"]
    assert first["backoff"] >= 2  # retry_initial 3 s, rounded
    second = wait_for("a second failure", lambda: (r := row(db, host)) and r["failures"] >= 2 and r)
    assert second["backoff"] >= 5  # doubled
    # One order per attempt, never more: nothing ordered while backing off.
    assert second["orders"] == second["failures"]
    report = route_report(edges[0]["admin"], host)["certificate"]
    assert report["state"] == "failing" and report["reason"]
    assert "default.test" in served(edges[0]["tls"], host)["text"]
