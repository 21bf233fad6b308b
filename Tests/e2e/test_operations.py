"""Operations: the admin listener (health, readiness, metrics that move, route lookups),
drain on SIGTERM (in-flight requests finish, readiness turns unready at once, exit 0),
a second SIGTERM exiting at once, and SIGHUP with a broken config keeping the old one."""
from __future__ import annotations

import json
import re
import signal
import threading
import time
import urllib.error
import urllib.request

import pytest

from helpers import PLATFORM, curl_host


def admin_get(edge, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{edge.admin_port}{path}", timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def metric(text: str, name: str, labels: str = "") -> float:
    pattern = re.escape(name) + (r"\{" + labels + r"\}" if labels else r"(\{[^}]*\})?") + r" ([0-9.e+-]+)"
    values = [float(m.group(len(m.groups()))) for m in re.finditer(pattern, text)]
    assert values, f"{name}{{{labels}}} not in metrics"
    return sum(values)


def test_healthz_and_readyz(edge):
    assert admin_get(edge, "/healthz") == (200, "ok\n") or admin_get(edge, "/healthz")[0] == 200
    status, body = admin_get(edge, "/readyz")
    assert status == 200, body


def test_metrics_move_when_requests_are_made(edge):
    _, before = admin_get(edge, "/metrics")
    for _ in range(5):
        assert curl_host(edge.port, f"shop1.{PLATFORM}", "/m").status == 200
    assert curl_host(edge.port, "nobody.example", "/m").status == 404
    _, after = admin_get(edge, "/metrics")
    assert metric(after, "tenant_edge_requests_total") >= metric(before, "tenant_edge_requests_total") + 6
    assert "# TYPE tenant_edge_requests_total counter" in after
    assert metric(after, "tenant_edge_route_map_hosts") > 0
    assert metric(after, "tenant_edge_received_bytes_total") > metric(before, "tenant_edge_received_bytes_total")


def test_route_lookup_explains_a_host(edge):
    status, body = admin_get(edge, f"/routes/SHOP1.{PLATFORM}.")
    assert status == 200
    report = json.loads(body)
    text = json.dumps(report)
    assert f"shop1.{PLATFORM}" in text and "shop1" in text
    status, body = admin_get(edge, "/routes/unknown.example")
    assert "STORE_NOT_FOUND" in body or "not_found" in body.lower() or "notFound" in body


def test_sigterm_drains_in_flight_requests_and_turns_unready(start_edge):
    edge = start_edge()
    results: dict = {}

    def slow():
        results["slow"] = curl_host(edge.port, f"shop1.{PLATFORM}", "/slow?ms=1500")

    thread = threading.Thread(target=slow)
    thread.start()
    time.sleep(0.4)
    edge.proc.proc.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    status, body = admin_get(edge, "/readyz")
    assert status == 503 and "draining" in body
    thread.join(20)
    assert results["slow"].status == 200
    assert edge.proc.proc.wait(20) == 0


def test_second_sigterm_exits_at_once(start_edge):
    edge = start_edge()
    def slow():
        try:
            curl_host(edge.port, f"shop1.{PLATFORM}", "/slow?ms=8000", timeout=20)
        except AssertionError:
            pass  # cut off by the forced exit: that is the point

    thread = threading.Thread(target=slow)
    thread.start()
    time.sleep(0.4)
    edge.proc.proc.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    started = time.monotonic()
    edge.proc.proc.send_signal(signal.SIGTERM)
    edge.proc.proc.wait(10)
    assert time.monotonic() - started < 5
    thread.join(30)


def test_reload_with_a_broken_config_keeps_serving_and_names_the_problem(start_edge):
    edge = start_edge()
    original = open(edge.config_path).read()
    with open(edge.config_path, "w") as f:
        f.write(original + "\nthis_key_does_not_exist: 1\n")
    edge.proc.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and "this_key_does_not_exist" not in edge.proc.stderr_tail(200):
        time.sleep(0.1)
    assert "this_key_does_not_exist" in edge.proc.stderr_tail(200)
    assert curl_host(edge.port, f"shop1.{PLATFORM}", "/still").status == 200


def test_idle_keep_alive_connection_serves_again_after_giving_back_its_buffers(edge):
    from helpers import Reader, connect, request_bytes
    with connect(edge.port) as s:
        reader = Reader(s)
        s.sendall(request_bytes("GET", "/one", f"shop1.{PLATFORM}"))
        assert reader.read_response().status == 200
        time.sleep(1.8)   # past the one-second idle mark at which the buffer is released
        s.sendall(request_bytes("GET", "/two", "www.shop1.test"))
        response = reader.read_response()
        assert response.status == 200
        assert json.loads(response.body)["target"] == "/two"


def test_access_log_lines_and_rotation_on_sigusr1(start_edge, tmp_path):
    log = tmp_path / "access.log"
    edge = start_edge(extra=f'access_log: {{ path: "{log}" }}\n')
    assert curl_host(edge.port, f"shop1.{PLATFORM}", "/logged?x=1").status == 200
    assert curl_host(edge.port, "nobody.example", "/api/x").status == 404

    def lines(path):
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if path.exists() and path.read_text().count("\n") >= 1:
                text = path.read_text()
                if text.endswith("\n"):
                    return [json.loads(line) for line in text.splitlines()]
            time.sleep(0.1)
        return []

    deadline = time.monotonic() + 5
    entries = lines(log)
    while len(entries) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
        entries = lines(log)
    assert len(entries) >= 2, entries
    forwarded = next(e for e in entries if e.get("status") == 200)
    assert forwarded["host"] == f"shop1.{PLATFORM}"
    assert forwarded["store_id"]
    assert forwarded["decision"] == "forwarded"
    assert forwarded.get("request_id")
    assert forwarded["protocol"] == "HTTP/1.1"
    missing = next(e for e in entries if e.get("status") == 404)
    assert missing["decision"] == "not_found"

    rotated = tmp_path / "access.log.1"
    log.rename(rotated)
    edge.proc.proc.send_signal(signal.SIGUSR1)
    time.sleep(0.5)
    assert curl_host(edge.port, f"shop1.{PLATFORM}", "/after-rotation").status == 200
    after = []
    deadline = time.monotonic() + 5
    while not after and time.monotonic() < deadline:
        after = lines(log)
        time.sleep(0.1)
    assert after and after[-1]["status"] == 200


def test_reload_adds_a_listener_and_keeps_open_connections(start_edge):
    from helpers import Reader, connect, free_port, request_bytes
    edge = start_edge()
    held = connect(edge.port)
    reader = Reader(held)
    held.sendall(request_bytes("GET", "/before", f"shop1.{PLATFORM}"))
    assert reader.read_response().status == 200
    new_port = free_port()
    config = open(edge.config_path).read().replace(
        "listen:\n", f'listen:\n  - {{ address: "127.0.0.1:{new_port}", protocol: http }}\n', 1)
    with open(edge.config_path, "w") as f:
        f.write(config)
    edge.proc.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 10
    status = None
    while time.monotonic() < deadline:
        try:
            status = curl_host(new_port, f"shop1.{PLATFORM}", "/on-new-listener", timeout=5).status
            break
        except AssertionError:
            time.sleep(0.1)
    assert status == 200
    # the connection opened before the reload is still served
    held.sendall(request_bytes("GET", "/after", f"shop1.{PLATFORM}"))
    response = reader.read_response()
    assert response.status == 200 and json.loads(response.body)["target"] == "/after"
    held.close()


def test_http2_streams_get_access_log_lines_and_count_by_decision(tmp_path, database, backends):
    """Each HTTP/2 stream is logged like an HTTP/1.1 request (protocol HTTP/2.0), and its
    decision moves the same metrics; health_path answers on h2 too."""
    from conftest import edge_env
    from helpers import PASSTHROUGH, STORES, EdgeProcess, config_yaml, curl, free_port
    from tls_certs import CertAuthority

    ca = CertAuthority(tmp_path / "ca")
    ca.issue(tmp_path / "default.pem", tmp_path / "default.key", [f"*.{PLATFORM}", "default.test"])
    log = tmp_path / "access.log"
    port, tls_port, admin_port = free_port(), free_port(), free_port()
    config = config_yaml(port, admin_port, backends["default"].port, backends["api"].port,
                         str(tmp_path / "routes.json"),
                         f'access_log: {{ path: "{log}" }}\nhealth_path: /__health\n'
                         f'tls:\n  default_certificate: {{ cert: "{tmp_path / "default.pem"}", '
                         f'key: "{tmp_path / "default.key"}" }}\n')
    config = config.replace("listen:\n", f'listen:\n  - {{ address: "127.0.0.1:{tls_port}", protocol: https }}\n', 1)
    (tmp_path / "tenant-edge.yaml").write_text(config)
    proc = EdgeProcess(str(tmp_path / "tenant-edge.yaml"), edge_env(database), port, str(tmp_path)).start()
    try:
        def h2(host: str, path: str):
            r = curl(f"https://{host}:{tls_port}{path}", "--http2", "--cacert", str(ca.cert),
                     "--resolve", f"{host}:{tls_port}:127.0.0.1")
            assert r.version == "HTTP/2", r.version
            return r

        _, before = admin_get_port(admin_port, "/metrics")
        ok = h2(f"shop1.{PLATFORM}", "/h2-logged?x=1")
        assert ok.status == 200
        seen_request_id = dict((k.lower(), v) for k, v in json.loads(ok.body)["headers"])["x-request-id"]
        assert h2(f"nobody.{PLATFORM}", "/api/x").status == 404
        assert h2(f"closed1.{PLATFORM}", "/api/x").status == 410
        assert h2(PASSTHROUGH, "/pt").status == 200
        health = h2(f"shop1.{PLATFORM}", "/__health")
        assert health.status == 200 and health.body == b"ok\n"
        _, after = admin_get_port(admin_port, "/metrics")

        def moved(decision: str) -> float:
            label = f'decision="{decision}"'
            return metric(after, "tenant_edge_requests_by_decision_total", label) - \
                metric(before, "tenant_edge_requests_by_decision_total", label)
        assert moved("not_found") == 1 and moved("closed") == 1 and moved("passthrough") == 1
        assert moved("forwarded") == 1 and moved("health") == 1

        entries = []
        deadline = time.monotonic() + 5
        while len(entries) < 5 and time.monotonic() < deadline:
            time.sleep(0.1)
            if log.exists():
                # The start-up probe (EdgeProcess.start) came over HTTP/1.1 on the plain port.
                entries = [e for e in map(json.loads, log.read_text().splitlines()) if e["protocol"] != "HTTP/1.1"]
        assert len(entries) == 5 and all(e["protocol"] == "HTTP/2.0" for e in entries), entries
        by_decision = {e["decision"]: e for e in entries}
        assert sorted(by_decision) == ["closed", "forwarded", "health", "not_found", "passthrough"], entries
        forwarded = by_decision["forwarded"]
        assert forwarded["host"] == f"shop1.{PLATFORM}" and forwarded["store_id"] == STORES["shop1"]
        assert forwarded["status"] == 200 and forwarded["request_id"] == seen_request_id
        assert forwarded["bytes_out"] == len(ok.body) and forwarded["upstream_ms"] is not None
        assert forwarded["client"] == "127.0.0.1"
        missing = by_decision["not_found"]
        assert missing["status"] == 404 and missing["store_id"] is None and missing["upstream_ms"] is None
        assert missing["host"] == f"nobody.{PLATFORM}"
        closed = by_decision["closed"]
        assert closed["status"] == 410 and closed["store_id"] == STORES["closed1"]
        assert by_decision["passthrough"]["host"] == PASSTHROUGH and by_decision["passthrough"]["status"] == 200
        assert by_decision["health"]["status"] == 200 and by_decision["health"]["bytes_out"] == 3
    finally:
        proc.stop()


def admin_get_port(admin_port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{admin_port}{path}", timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_total_connection_limit_holds_across_workers(start_edge):
    """limits.max_connections counts every worker's connections: with 2 workers allowed 3
    each, the process still takes only 3; the next waits in the kernel's queue (not
    refused, not crashed) and is served once one of the 3 closes."""
    from helpers import Reader, connect, request_bytes
    edge = start_edge(extra="limits: { max_connections: 3, max_connections_per_worker: 3 }\n")
    deadline = time.monotonic() + 10
    while True:   # the start-up probe's connection is closed and counted out
        _, before = admin_get(edge, "/metrics")
        if metric(before, "tenant_edge_active_connections") == 0 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    held, waiting = [], []
    for n in range(5):
        s = connect(edge.port)
        s.sendall(request_bytes("GET", f"/held/{n}", f"shop1.{PLATFORM}"))
        s.settimeout(1.5)
        try:
            assert Reader(s).read_response().status == 200
            held.append(s)
        except (TimeoutError, OSError):
            waiting.append(s)
    try:
        assert len(held) == 3 and len(waiting) == 2, (len(held), len(waiting))
        _, during = admin_get(edge, "/metrics")
        assert metric(during, "tenant_edge_connections_rejected_total", 'reason="limit"') > \
            metric(before, "tenant_edge_connections_rejected_total", 'reason="limit"')
        held.pop().close()
        # Which of the two waiting connections gets the place depends on the worker queue
        # the kernel put it in.
        import select
        readable, _, _ = select.select(waiting, [], [], 10)
        assert readable, "no waiting connection was served after one closed"
        readable[0].settimeout(10)
        response = Reader(readable[0]).read_response()
        assert response.status == 200 and json.loads(response.body)["target"] in ("/held/3", "/held/4")
    finally:
        for s in held + waiting:
            s.close()
