"""Which store a request reaches (DESIGN.md section 5): exact rows, the platform
wildcard, pass-through hosts, unknown hosts, store states, host normalization."""

import pytest

from helpers import PASSTHROUGH, PLATFORM, STORES, curl_host, exchange, marker, request_bytes


def forwarded(edge, resp, slug):
    """The echo body of a forwarded response, after checking it reached `slug`'s store."""
    assert resp.status == 200, resp.describe()
    echo = resp.json()
    got = {n.lower(): v for n, v in echo["headers"]}
    assert echo["backend"] == "default"
    assert got.get("x-store-slug") == slug, echo["headers"]
    assert got.get("x-store-id") == STORES[slug], echo["headers"]
    return echo


def test_exact_custom_domain_reaches_its_store(edge):
    resp = curl_host(edge.port, "www.shop1.test", "/products?x=1")
    echo = forwarded(edge, resp, "shop1")
    assert echo["target"] == "/products?x=1"
    assert echo["method"] == "GET"


def test_exact_platform_row_reaches_its_store(edge):
    forwarded(edge, curl_host(edge.port, f"demo1.{PLATFORM}"), "demo1")


def test_platform_wildcard_resolves_by_slug(edge):
    # shop2 has no row for shop2.platform.test: only the wildcard rule can find it.
    forwarded(edge, curl_host(edge.port, f"shop2.{PLATFORM}"), "shop2")
    forwarded(edge, curl_host(edge.port, "shop2.example.test"), "shop2")


def test_passthrough_host_goes_to_its_upstream_without_tenant_headers(edge):
    m = marker("pass")
    resp = curl_host(edge.port, PASSTHROUGH, f"/v1/{m}", "-H", "X-Tenant-Context: forged.forged.forged")
    assert resp.status == 200, resp.describe()
    echo = resp.json()
    assert echo["backend"] == "api", "pass-through host must use the `api` upstream"
    names = {n.lower() for n, _ in echo["headers"]}
    assert "x-tenant-context" not in names
    assert "x-store-id" not in names and "x-store-slug" not in names
    assert not edge.backend.seen(m), "pass-through request also reached the default upstream"


@pytest.mark.parametrize("host", [
    "nosuch.platform.test",            # wildcard: no such slug
    "a.shop1.platform.test",           # wildcard takes exactly one extra label
    "platform.test",                   # the bare platform domain is not a store
    "www.unknown-shop.test",
    "127.0.0.1",                       # IP literals never match a store
])
def test_unknown_host_is_404_and_never_reaches_a_backend(edge, host):
    m = marker("unknown")
    api = curl_host(edge.port, host, f"/api/{m}")
    assert api.status == 404, api.describe()
    assert "json" in (api.header("Content-Type") or ""), api.describe()
    body = api.json()
    assert body["success"] is False and body["code"] == "STORE_NOT_FOUND", body
    page = curl_host(edge.port, host, f"/shop/{m}")
    assert page.status == 404, page.describe()
    assert "html" in (page.header("Content-Type") or ""), page.describe()
    assert b"<" in page.body
    assert not edge.backend.seen(m) and not edge.api.seen(m), "an unknown host reached a backend"


def test_json_accept_gets_json_error_outside_api(edge):
    resp = curl_host(edge.port, "nosuch.platform.test", "/page", "-H", "Accept: application/json")
    assert resp.status == 404
    assert resp.json()["code"] == "STORE_NOT_FOUND"


STATES = [
    # slug, status, code, retry_after
    ("pending1", 503, "STORE_PROVISIONING", True),
    ("provisioning1", 503, "STORE_PROVISIONING", True),
    ("provisioned1", 503, "STORE_PROVISIONING", True),
    ("suspended1", 503, "STORE_INACTIVE", False),
    ("offline1", 503, "STORE_INACTIVE", False),   # status active, is_active false
    ("closed1", 410, "STORE_CLOSED", False),
]


@pytest.mark.parametrize("slug,status,code,retry_after", STATES)
@pytest.mark.parametrize("kind", ["platform", "custom"])
def test_store_state_answer(edge, slug, status, code, retry_after, kind):
    host = f"{slug}.{PLATFORM}" if kind == "platform" else f"www.{slug}.test"
    m = marker(slug)
    resp = curl_host(edge.port, host, f"/api/{m}")
    assert resp.status == status, resp.describe()
    body = resp.json()
    assert body["success"] is False and body["code"] == code, body
    if retry_after:
        value = resp.header("Retry-After")
        assert value is not None and value.isdigit() and int(value) > 0, resp.describe()
    html = curl_host(edge.port, host, f"/{m}")
    assert html.status == status and "html" in (html.header("Content-Type") or ""), html.describe()
    assert not edge.backend.seen(m), f"{slug} ({status}) must not reach the backend"


def test_undocumented_status_is_503(edge):
    m = marker("archived")
    resp = curl_host(edge.port, f"archived1.{PLATFORM}", f"/api/{m}")
    assert resp.status == 503, resp.describe()
    assert resp.json()["success"] is False
    assert not edge.backend.seen(m)


@pytest.mark.parametrize("host,slug", [
    ("WWW.SHOP1.TEST", "shop1"),
    ("www.shop1.test.", "shop1"),
    ("www.shop1.test:8080", "shop1"),
    ("Shop2.Platform.Test.:443", "shop2"),
    ("DEMO1.platform.test", "demo1"),
])
def test_host_normalization_routes(edge, host, slug):
    forwarded(edge, curl_host(edge.port, host), slug)


def test_absolute_form_target_routes_by_its_authority(edge):
    raw = request_bytes("GET", "http://www.shop1.test/abs?q=1", "shop2.example.test")
    resp, _ = exchange(edge.port, raw)
    echo = forwarded(edge, resp, "shop1")
    assert echo["target"] == "/abs?q=1", "absolute-form must be sent upstream in origin form"
