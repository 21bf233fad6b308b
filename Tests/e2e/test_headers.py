"""What the backend receives (DESIGN.md section 6): added headers, the signed
tenant context checked independently of the proxy's code, and what is stripped."""

import time

import pytest

from helpers import PASSTHROUGH, SECRET, STORES, Reader, connect, curl_host, request_bytes, verify_hs256


def values(echo, name):
    return [v for n, v in echo["headers"] if n.lower() == name.lower()]


@pytest.mark.parametrize("host,slug,norm,kind", [
    ("www.shop1.test", "shop1", "www.shop1.test", "custom"),
    ("shop1.platform.test", "shop1", "shop1.platform.test", "platform"),
    ("Shop2.PLATFORM.test.:8080", "shop2", "shop2.platform.test", "platform"),   # wildcard
    ("SHOP2.example.TEST", "shop2", "shop2.example.test", "custom"),
])
def test_tenant_context_token_verifies_independently(edge, host, slug, norm, kind):
    resp = curl_host(edge.port, host, "/token")
    assert resp.status == 200, resp.describe()
    echo = resp.json()
    tokens = values(echo, "X-Tenant-Context")
    assert len(tokens) == 1, f"expected exactly one X-Tenant-Context, got {tokens}"
    header, claims = verify_hs256(tokens[0], SECRET)
    assert (header.get("alg"), header.get("kid"), header.get("typ")) == ("HS256", "k1", "JWT"), header
    assert claims["iss"] == "tenant-edge"
    assert claims["aud"] == "tenant-backend"
    assert claims["store_id"] == STORES[slug] and claims["sub"] == STORES[slug]
    assert claims["slug"] == slug
    assert claims["host"] == norm
    assert claims["host_kind"] == kind
    assert claims["status"] == "active"
    assert claims["exp"] - claims["iat"] == 60
    now = time.time()
    assert claims["iat"] <= now + 5 and claims["exp"] > now, claims


def test_token_does_not_verify_with_another_secret(edge):
    echo = curl_host(edge.port, "www.shop1.test", "/token").json()
    with pytest.raises(AssertionError):
        verify_hs256(values(echo, "X-Tenant-Context")[0], SECRET + "x")


def test_forwarded_headers_added(edge):
    resp = curl_host(edge.port, "www.shop1.test", "/fwd", "-H", "X-Request-Id: client-chosen-id")
    echo = resp.json()
    assert values(echo, "X-Store-Id") == [STORES["shop1"]]
    assert values(echo, "X-Store-Slug") == ["shop1"]
    xff = values(echo, "X-Forwarded-For")
    assert len(xff) == 1 and xff[0].split(",")[-1].strip() == "127.0.0.1", xff
    assert values(echo, "X-Forwarded-Proto") == ["http"]
    assert values(echo, "X-Forwarded-Host") == ["www.shop1.test"]
    assert values(echo, "X-Forwarded-Port") == [str(edge.port)]
    rid = values(echo, "X-Request-Id")
    assert len(rid) == 1 and rid[0], rid
    assert values(echo, "Host") == ["www.shop1.test"], "Host must be kept"


def test_request_id_is_generated_and_unique(edge):
    ids = {values(curl_host(edge.port, "www.shop1.test", "/rid").json(), "X-Request-Id")[0] for _ in range(5)}
    assert len(ids) == 5, ids


def test_host_header_is_kept_verbatim(edge):
    echo = curl_host(edge.port, "WWW.Shop1.Test:8080", "/h").json()
    assert values(echo, "Host") == ["WWW.Shop1.Test:8080"]


def test_client_tenant_headers_and_hop_by_hop_are_stripped(edge):
    forged = "FORGED-VALUE"
    raw = request_bytes("GET", "/strip", "www.shop1.test", [
        ("X-Tenant-Context", f"{forged}.{forged}.{forged}"),
        ("x_tenant_context", forged),
        ("X-TENANT-context", forged),
        ("X-STORE-ID", forged),
        ("x_store_id", forged),
        ("X_Store_Slug", forged),
        ("x-store-slug", forged),
        ("Connection", "keep-alive, X-Drop-Me, x-drop-too"),
        ("X-Drop-Me", "dropped"),
        ("X-Drop-Too", "dropped"),
        ("Keep-Alive", "timeout=5"),
        ("TE", "trailers"),
        ("Proxy-Connection", "keep-alive"),
        ("X-Keep-Me", "kept"),
    ])
    with connect(edge.port) as s:
        s.sendall(raw)
        resp = Reader(s).read_response()
    assert resp.status == 200, resp.describe()
    echo = resp.json()
    for name, value in echo["headers"]:
        assert forged not in value, f"client-sent {name}: {value} reached the backend"
        assert value != "dropped", f"{name} was named by Connection and must be stripped"
    names = [n.lower() for n, _ in echo["headers"]]
    for hop in ("keep-alive", "te", "proxy-connection", "x-drop-me", "x-drop-too"):
        assert hop not in names, f"{hop} reached the backend"
    assert values(echo, "X-Keep-Me") == ["kept"]
    assert values(echo, "X-Store-Id") == [STORES["shop1"]]
    assert values(echo, "X-Store-Slug") == ["shop1"]
    tokens = values(echo, "X-Tenant-Context")
    assert len(tokens) == 1
    verify_hs256(tokens[0], SECRET)


def test_connection_cannot_drop_headers_the_proxy_adds(edge):
    raw = request_bytes("GET", "/conn", "www.shop1.test", [
        ("Connection", "X-Tenant-Context, X-Store-Id, X-Forwarded-For, X-Request-Id"),
    ])
    with connect(edge.port) as s:
        s.sendall(raw)
        echo = Reader(s).read_response().json()
    assert len(values(echo, "X-Tenant-Context")) == 1
    assert values(echo, "X-Store-Id") == [STORES["shop1"]]
    assert len(values(echo, "X-Forwarded-For")) == 1


def test_passthrough_strips_client_tenant_context(edge):
    echo = curl_host(edge.port, PASSTHROUGH, "/p", "-H", "x_tenant_context: forged",
                     "-H", "X-Tenant-Context: forged").json()
    assert echo["backend"] == "api"
    assert not values(echo, "X-Tenant-Context") and not values(echo, "x_tenant_context")
    assert values(echo, "Host") == [PASSTHROUGH]
    assert len(values(echo, "X-Forwarded-For")) == 1
