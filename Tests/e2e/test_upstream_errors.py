"""Upstream failures become gateway errors in the platform's format."""

import json

from helpers import curl_host, free_port


def test_dead_backend_is_502_json_for_api(start_edge):
    dead = free_port()  # nothing listens here
    edge = start_edge(default_port=dead)
    resp = curl_host(edge.port, "www.shop1.test", "/api/orders", timeout=20)
    assert resp.status == 502, resp.describe()
    assert "json" in (resp.header("Content-Type") or ""), resp.describe()
    body = json.loads(resp.body)
    assert body["success"] is False
    page = curl_host(edge.port, "www.shop1.test", "/", timeout=20)
    assert page.status == 502, page.describe()
    # The proxy itself stays up and still serves other upstreams.
    api = curl_host(edge.port, "api.platform.test", "/alive", timeout=20)
    assert api.status == 200 and api.json()["backend"] == "api"
    assert edge.proc.alive()


def test_slow_backend_within_timeout_is_served(edge):
    resp = curl_host(edge.port, "www.shop1.test", "/slow?ms=1500", timeout=20)
    assert resp.status == 200, resp.describe()


def test_no_response_head_in_time_is_504(start_edge):
    edge = start_edge(timeouts={"upstream_header": 2})
    resp = curl_host(edge.port, "www.shop1.test", "/api/slow?ms=6000", timeout=20)
    assert resp.status == 504, resp.describe()
    assert json.loads(resp.body)["success"] is False
