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
