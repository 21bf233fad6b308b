"""Asymmetric tenant context (DESIGN.md section 6): a proxy configured with an ES256 key
signs X-Tenant-Context, publishes the public key at the admin listener's
/.well-known/jwks.json, and the token verifies against that JWKS with the proxy's own
`token verify`, with Node's stock `jose` library (Debian's node-jose) and through the
Node example middleware in examples/node-express."""

import base64
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import edge_env
from helpers import (REPO, STORES, EdgeProcess, b64url_decode, config_yaml, curl, curl_host, free_port,
                     run_cli)

NODE_PATH = "/usr/share/nodejs"
HOST = "shop1.platform.test"


def _node_jose_available() -> bool:
    return shutil.which("node") is not None and Path(NODE_PATH, "jose").is_dir()


@pytest.fixture(scope="module")
def es_edge(tmp_path_factory, database, backends):
    workdir = tmp_path_factory.mktemp("edge-es256")
    env = edge_env(database)
    gen = run_cli(["keys", "generate", "--alg", "ES256", "--kid", "ec1", "--out", str(workdir / "ec1.pem")], env)
    assert gen.returncode == 0, gen.stderr
    assert "private_key_file" in gen.stdout, gen.stdout
    assert os.stat(workdir / "ec1.pem").st_mode & 0o777 == 0o600
    gen2 = run_cli(["keys", "generate", "--alg", "EdDSA", "--kid", "ed0", "--out", str(workdir / "ed0.pem")], env)
    assert gen2.returncode == 0, gen2.stderr
    port, admin_port = free_port(), free_port()
    text = config_yaml(port, admin_port, backends["default"].port, backends["api"].port, str(workdir / "routes.json"))
    ring = ("tenant_context:\n  issuer: tenant-edge\n  audience: tenant-backend\n  ttl_seconds: 60\n"
            "  sign_with: ec1\n  keys:\n"
            "    - { kid: k1, alg: HS256, secret_env: TENANT_CONTEXT_SECRET }\n"
            "    - { kid: ed0, alg: EdDSA, private_key_file: ed0.pem }\n"
            "    - { kid: ec1, alg: ES256, private_key_file: ec1.pem }\n")
    text, count = re.subn(r"tenant_context:\n(?:  .*\n)+", ring, text)
    assert count == 1, text
    config = workdir / "tenant-edge.yaml"
    config.write_text(text)
    proc = EdgeProcess(str(config), env, port, str(workdir))
    proc.start()
    yield {"port": port, "admin_port": admin_port, "config": str(config), "env": env, "dir": workdir}
    proc.stop()


def _token(es_edge) -> str:
    resp = curl_host(es_edge["port"], HOST, "/token")
    assert resp.status == 200, resp.describe()
    tokens = [v for n, v in resp.json()["headers"] if n.lower() == "x-tenant-context"]
    assert len(tokens) == 1, tokens
    return tokens[0]


def _jwks_file(es_edge) -> str:
    resp = curl(f"http://127.0.0.1:{es_edge['admin_port']}/.well-known/jwks.json")
    assert resp.status == 200, resp.describe()
    path = es_edge["dir"] / "jwks.json"
    path.write_text(resp.body.decode() if isinstance(resp.body, bytes) else resp.body)
    return str(path)


def test_proxy_signs_with_es256(es_edge):
    token = _token(es_edge)
    header = json.loads(b64url_decode(token.split(".")[0]))
    assert header == {"alg": "ES256", "kid": "ec1", "typ": "JWT"}
    assert len(b64url_decode(token.split(".")[2])) == 64, "ES256 signature must be raw r||s"
    claims = json.loads(b64url_decode(token.split(".")[1]))
    assert claims["store_id"] == STORES["shop1"] and claims["host"] == HOST


def test_jwks_publishes_asymmetric_keys_only(es_edge):
    keys = json.loads(Path(_jwks_file(es_edge)).read_text())["keys"]
    by_kid = {k["kid"]: k for k in keys}
    assert set(by_kid) == {"ed0", "ec1"}, keys
    assert {k: by_kid["ec1"][k] for k in ("kty", "crv", "alg", "use")} == {
        "kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig"}
    assert {k: by_kid["ed0"][k] for k in ("kty", "crv", "alg", "use")} == {
        "kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig"}
    assert all("d" not in k for k in keys), "private key material published"


def test_cli_verify_accepts_and_explains_rejections(es_edge):
    token = _token(es_edge)
    jwks = _jwks_file(es_edge)
    ok = run_cli(["token", "verify", "--jwks", jwks, "--host", HOST, token], es_edge["env"])
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert json.loads(ok.stdout)["slug"] == "shop1"
    head, payload, sig = token.split(".")
    sig_bytes = bytearray(b64url_decode(sig))
    sig_bytes[5] ^= 1
    bad_sig = base64.urlsafe_b64encode(bytes(sig_bytes)).decode().rstrip("=")
    bad = run_cli(["token", "verify", "--jwks", jwks, f"{head}.{payload}.{bad_sig}"], es_edge["env"])
    assert bad.returncode == 1 and "badSignature" in bad.stdout, bad.stdout + bad.stderr
    aud = run_cli(["token", "verify", "--jwks", jwks, "--audience", "other", token], es_edge["env"])
    assert aud.returncode == 1 and "wrongAudience" in aud.stdout, aud.stdout + aud.stderr
    host = run_cli(["token", "verify", "--jwks", jwks, "--host", "shop2.platform.test", token], es_edge["env"])
    assert host.returncode == 1 and "hostMismatch" in host.stdout, host.stdout + host.stderr


def test_cli_sign_matches_the_proxy(es_edge):
    signed = run_cli(["token", "sign", "--config", es_edge["config"], "--store-id", "s-9", "--slug", "nine",
                      "--host", "nine.platform.test"], es_edge["env"])
    assert signed.returncode == 0, signed.stderr
    ok = run_cli(["token", "verify", "--jwks", _jwks_file(es_edge), signed.stdout.strip()], es_edge["env"])
    assert ok.returncode == 0 and json.loads(ok.stdout)["store_id"] == "s-9", ok.stdout + ok.stderr


def _node(script: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "NODE_PATH": NODE_PATH}
    return subprocess.run(["node", "-e", script, *args], env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.skipif(not _node_jose_available(), reason="node or Debian's node-jose missing: run scripts/bootstrap")
def test_token_verifies_with_node_jose_against_admin_jwks(es_edge):
    token = _token(es_edge)
    script = """
const jose = require('jose');
const fs = require('fs');
(async () => {
  const jwks = jose.createLocalJWKSet(JSON.parse(fs.readFileSync(process.argv[1], 'utf8')));
  const { payload, protectedHeader } = await jose.jwtVerify(process.argv[2], jwks, {
    algorithms: ['ES256', 'EdDSA'], issuer: 'tenant-edge', audience: 'tenant-backend' });
  console.log(JSON.stringify({ payload, protectedHeader }));
})().catch((e) => { console.log('REJECTED ' + e.code); process.exit(1); });
"""
    jwks = _jwks_file(es_edge)
    ok = _node(script, jwks, token)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    out = json.loads(ok.stdout)
    assert out["protectedHeader"]["kid"] == "ec1" and out["payload"]["slug"] == "shop1"
    head, payload, sig = token.split(".")
    forged_head = base64.urlsafe_b64encode(b'{"alg":"HS256","kid":"ec1","typ":"JWT"}').decode().rstrip("=")
    for bad in (f"{head}.{payload}.{sig[:-2]}AA", f"{forged_head}.{payload}.{sig}"):
        rejected = _node(script, jwks, bad)
        assert rejected.returncode == 1 and "REJECTED" in rejected.stdout, rejected.stdout + rejected.stderr


@pytest.mark.skipif(not _node_jose_available(), reason="node or Debian's node-jose missing: run scripts/bootstrap")
def test_node_example_middleware(es_edge):
    token = _token(es_edge)
    middleware = REPO / "examples" / "node-express" / "tenantContext.js"
    script = """
const { tenantContext } = require(process.argv[1]);
const mw = tenantContext({ jwksFile: process.argv[2] });
function run(headers) {
  return new Promise((resolve) => {
    const req = { headers }, res = {
      statusCode: 200, status(c) { this.statusCode = c; return this; },
      json(b) { resolve({ status: this.statusCode, body: b }); } };
    mw(req, res, () => resolve({ status: 'next', store: req.store }));
  });
}
(async () => {
  const good = await run({ 'x-tenant-context': process.argv[3], host: process.argv[4] });
  const wrongHost = await run({ 'x-tenant-context': process.argv[3], host: 'evil.example' });
  const missing = await run({ host: process.argv[4] });
  console.log(JSON.stringify({ good, wrongHost, missing }));
})();
"""
    out = _node(script, str(middleware), _jwks_file(es_edge), token, HOST)
    assert out.returncode == 0, out.stdout + out.stderr
    result = json.loads(out.stdout)
    assert result["good"]["status"] == "next" and result["good"]["store"]["slug"] == "shop1", result
    assert result["good"]["store"]["id"] == STORES["shop1"], result
    assert result["wrongHost"]["status"] == 401, result
    assert result["missing"]["status"] == 401, result


def test_rotation_by_config_and_sighup(es_edge):
    """Add a key, make it the signer, SIGHUP: new tokens carry the new kid, and the JWKS
    publishes old and new keys so tokens signed just before still verify."""
    import signal
    import time
    gen = run_cli(["keys", "generate", "--alg", "ES256", "--kid", "ec2", "--out", str(es_edge["dir"] / "ec2.pem")],
                  es_edge["env"])
    assert gen.returncode == 0, gen.stderr
    config = Path(es_edge["config"])
    text = config.read_text().replace("  sign_with: ec1\n", "  sign_with: ec2\n")
    text = text.replace("    - { kid: ec1, alg: ES256, private_key_file: ec1.pem }\n",
                        "    - { kid: ec1, alg: ES256, private_key_file: ec1.pem }\n"
                        "    - { kid: ec2, alg: ES256, private_key_file: ec2.pem }\n")
    config.write_text(text)
    pid = int(subprocess.run(["pgrep", "-f", f"serve --config {config}"], capture_output=True, text=True).stdout.split()[0])
    os.kill(pid, signal.SIGHUP)
    deadline = time.monotonic() + 10
    kid = None
    while time.monotonic() < deadline:
        kid = json.loads(b64url_decode(_token(es_edge).split(".")[0]))["kid"]
        if kid == "ec2":
            break
        time.sleep(0.1)
    assert kid == "ec2"
    keys = {k["kid"] for k in json.loads(Path(_jwks_file(es_edge)).read_text())["keys"]}
    assert {"ec1", "ec2"} <= keys
