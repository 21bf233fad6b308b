"""Certificates on demand with TLS-ALPN-01 (RFC 8737) and the DNS check, against a real
pebble. pebble validates tls-alpn-01 on the first proxy's https listener (its `tlsPort`);
its `httpPort` points at a closed port, so an http-01 answer could not succeed. Both
proxies share one database, so whichever orders, the first serves the challenge (the
token travels through the certificates row). Both check DNS before ordering, asking
pebble-challtestsrv, which answers 127.0.0.1 unless a test sets another A record."""
from __future__ import annotations

import json
import shutil
import socket
import ssl
import subprocess
import time
import urllib.request

import pytest

from conftest import edge_env
from helpers import EdgeProcess, free_port
from test_acme import ENCRYPTION_KEY, acme_edge_config, add_custom_domain, psql, route_report, row, served, start_pebble, stop_all, wait_for

pytestmark = pytest.mark.skipif(shutil.which("pebble") is None or shutil.which("pebble-challtestsrv") is None,
                                reason="pebble is not installed (scripts/bootstrap installs it)")


@pytest.fixture(scope="module")
def alpn(tmp_path_factory, database, backends):
    work = tmp_path_factory.mktemp("acme-alpn")
    # pebble validates TLS-ALPN-01 against the first proxy's https listener; its HTTP-01
    # port is a closed one, so only TLS-ALPN-01 can succeed.
    tls_ports = [free_port(), free_port()]
    ca, procs, pebble_log, pebble_port, dns_port, challtest_admin = start_pebble(work, http_port=free_port(),
                                                                                   tls_port=tls_ports[0])

    edges = []
    for index, tls_port in enumerate(tls_ports):
        port, admin_port = free_port(), free_port()
        config = acme_edge_config(work, index, backends, port, tls_port, admin_port, pebble_port, ca, f"""\
  challenge: tls-alpn-01
  dns_check:
    addresses: ["127.0.0.1", "::1"]
    nameserver: "127.0.0.1:{dns_port}"
""")
        path = work / f"edge{index}.yaml"
        path.write_text(config)
        logs = work / f"edge{index}"  # each its own stderr file
        logs.mkdir()
        proc = EdgeProcess(str(path), {**edge_env(database), "ENCRYPTION_KEY": ENCRYPTION_KEY}, port, str(logs))
        proc.start()
        edges.append({"proc": proc, "tls": tls_port, "admin": admin_port, "log": logs / "tenant-edge.stderr"})
    yield {"edges": edges, "db": database, "challtest": challtest_admin, "work": work}
    stop_all([edge["proc"] for edge in edges], procs, pebble_log)


def challtest(admin: int, path: str, body: dict) -> None:
    request = urllib.request.Request(f"http://127.0.0.1:{admin}/{path}", data=json.dumps(body).encode())
    urllib.request.urlopen(request, timeout=5).read()


def acme_tls_hello(port: int, sni: str, version: ssl.TLSVersion, certificate: list | None = None) -> str:
    """What an ACME server's validation hello gets: the negotiated protocol, or the error.
    The certificate served (DER) is appended to `certificate` when given."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.minimum_version = context.maximum_version = version
    context.set_alpn_protocols(["acme-tls/1"])
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
            with context.wrap_socket(raw, server_hostname=sni) as tls:
                if certificate is not None:
                    certificate.append(tls.getpeercert(binary_form=True))
                return f"negotiated {tls.selected_alpn_protocol()}"
    except ssl.SSLError as error:
        return f"failed {error}"


def test_acme_a_domain_gets_a_certificate_via_tls_alpn_01(alpn):
    db, edges = alpn["db"], alpn["edges"]
    host = "www.alpn-shop1.test"
    add_custom_domain(db, host)
    for edge in edges:
        wait_for(f"{host} served by :{edge['tls']}", lambda: f"DNS:{host}" in served(edge["tls"], host)["text"])
    assert row(db, host)["orders"] == 1
    assert row(db, host)["state"] == "valid"
    # The challenge is withdrawn once the order ends, on both instances.
    assert psql(db, f"SELECT coalesce(challenge_token, '-') FROM tenant_edge_certificates WHERE hostname = '{host}'") == "-"
    # pebble could only have validated through the https listener (its http-01 port is closed).
    ordered = [line for edge in edges for line in edge["log"].read_text().splitlines()
               if "ordering a certificate" in line and host in line]
    assert len(ordered) == 1 and "tls-alpn-01" in ordered[0], ordered


@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3], ids=["tls1.2", "tls1.3"])
def test_acme_an_acme_tls_hello_without_a_pending_challenge_fails_and_orders_nothing(alpn, version):
    db, edges = alpn["db"], alpn["edges"]
    for name in ["nobody-owns-this.alpn.test", "www.alpn-shop1.test"]:
        for edge in edges:
            result = acme_tls_hello(edge["tls"], name, version)
            assert result.startswith("failed") and "no application protocol" in result.lower(), result
    time.sleep(2.5)  # scan_interval 1: a wrong trigger would have ordered by now
    assert row(db, "nobody-owns-this.alpn.test") is None
    assert route_report(edges[0]["admin"], "nobody-owns-this.alpn.test")["certificate"]["state"] == "none"
    # Normal handshakes are untouched.
    assert "default.test" in served(edges[0]["tls"], "nobody-owns-this.alpn.test")["text"]


@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3], ids=["tls1.2", "tls1.3"])
def test_acme_a_pending_challenge_in_the_database_is_served_by_every_instance(alpn, version):
    """What makes validation work whichever instance ordered: a token written to the row is
    served by all, with the key authorization made from the shared account key."""
    db, edges = alpn["db"], alpn["edges"]
    host = f"shared-{version.name.lower()}.alpn-shop3.test"  # in no store: only the token matters
    wait_for("the account", lambda: psql(db, "SELECT count(*) FROM tenant_edge_acme_accounts WHERE account_url IS NOT NULL") == "1")
    psql(db, f"INSERT INTO tenant_edge_certificates (hostname, state, challenge_token) VALUES ('{host}', 'pending', 'tok-{version.name}')")
    values = set()
    for edge in edges:
        served_der: list = []
        wait_for(f"challenge served by :{edge['tls']}",
                 lambda: acme_tls_hello(edge["tls"], host, version, served_der) == "negotiated acme-tls/1", 10)
        text = subprocess.run(["openssl", "x509", "-inform", "DER", "-noout", "-text"], input=served_der[-1],
                              capture_output=True, check=True).stdout.decode()
        assert f"DNS:{host}" in text and "1.3.6.1.5.5.7.1.31: critical" in text, text
        value = text.split("1.3.6.1.5.5.7.1.31: critical")[1].split("Signature Algorithm")[0]
        values.add("".join(value.split()))
    assert len(values) == 1  # the same key authorization digest on both instances
    psql(db, f"UPDATE tenant_edge_certificates SET challenge_token = NULL WHERE hostname = '{host}'")
    for edge in edges:
        wait_for(f"challenge withdrawn on :{edge['tls']}",
                 lambda: "no application protocol" in acme_tls_hello(edge["tls"], host, version).lower(), 10)
    assert row(db, host)["orders"] == 0


def test_acme_a_name_resolving_elsewhere_is_not_ordered_until_it_points_here(alpn):
    db, edges, admin = alpn["db"], alpn["edges"], alpn["challtest"]
    host = "elsewhere.alpn-shop2.test"
    challtest(admin, "add-a", {"host": host + ".", "addresses": ["10.9.8.7"]})
    add_custom_domain(db, host)
    first = wait_for("a refusal", lambda: (r := row(db, host)) and r["failures"] >= 1 and r)
    assert first["state"] == "failing"
    assert first["reason"] == "does not resolve to this proxy (resolved: 10.9.8.7)"
    assert first["orders"] == 0
    for edge in edges:
        # The other instance learns of the row through its NOTIFY.
        report = wait_for("failing state in /routes",
                          lambda: (c := route_report(edge["admin"], host)["certificate"]) and c["state"] == "failing" and c)
        assert report["reason"] == "does not resolve to this proxy (resolved: 10.9.8.7)"
        assert report["next_attempt"]
    second = wait_for("a second refusal", lambda: (r := row(db, host)) and r["failures"] >= 2 and r)
    assert second["orders"] == 0 and second["backoff"] >= 5  # retry_initial 3 s, doubled
    assert "default.test" in served(edges[0]["tls"], host)["text"]

    challtest(admin, "clear-a", {"host": host + "."})  # back to the default, 127.0.0.1
    for edge in edges:
        wait_for(f"{host} served by :{edge['tls']}", lambda: f"DNS:{host}" in served(edge["tls"], host)["text"])
    final = row(db, host)
    assert final["state"] == "valid" and final["orders"] == 1
    assert route_report(edges[0]["admin"], host)["certificate"]["state"] == "valid"
