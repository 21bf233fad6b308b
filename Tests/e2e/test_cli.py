"""The command line: check-config names the key and line of a mistake, lookup tells
what a host resolves to, and a database that is down is one clear line (password masked)."""

import re

import pytest

from conftest import edge_env
from helpers import SECRET, STORES, config_yaml, free_port, run_cli


@pytest.fixture
def valid_config(tmp_path, backends):
    text = config_yaml(free_port(), free_port(), backends["default"].port, backends["api"].port,
                       str(tmp_path / "routes.json"))
    path = tmp_path / "tenant-edge.yaml"
    path.write_text(text)
    return path, text


def output(proc):
    return proc.stdout + proc.stderr


def test_check_config_accepts_the_test_config(valid_config, database):
    path, _ = valid_config
    proc = run_cli(["check-config", "--config", str(path)], edge_env(database))
    assert proc.returncode == 0, output(proc)
    assert SECRET not in output(proc)


def with_line_after(text, anchor, new_line):
    lines = text.splitlines()
    idx = next(i for i, line in enumerate(lines) if line.startswith(anchor))
    lines.insert(idx + 1, new_line)
    return "\n".join(lines) + "\n", idx + 2  # 1-based line number of the new line


@pytest.mark.parametrize("anchor,bad_line,key", [
    ("workers:", "workerz: 3", "workerz"),                     # unknown top-level key
    ("  ttl_seconds:", "  colour: blue", "colour"),           # unknown nested key
    ("  sign_with:", "  issuer_typo: x", "issuer_typo"),
])
def test_check_config_names_unknown_key_and_line(tmp_path, valid_config, database, anchor, bad_line, key):
    _, text = valid_config
    broken, line = with_line_after(text, anchor, bad_line)
    path = tmp_path / "broken.yaml"
    path.write_text(broken)
    proc = run_cli(["check-config", "--config", str(path)], edge_env(database))
    out = output(proc)
    assert proc.returncode != 0, f"check-config accepted an unknown key:\n{out}"
    assert key in out, out
    assert re.search(rf"(?<!\d){line}(?!\d)", out), f"line {line} not named:\n{out}"


def test_check_config_rejects_bad_values(tmp_path, valid_config, database):
    _, text = valid_config
    broken = text.replace('sign_with: k1', 'sign_with: nosuchkey').replace('workers: 2', 'workers: 0')
    path = tmp_path / "bad-values.yaml"
    path.write_text(broken)
    proc = run_cli(["check-config", "--config", str(path)], edge_env(database))
    out = output(proc)
    assert proc.returncode != 0, out
    assert "sign_with" in out and "workers" in out, f"all problems at once expected:\n{out}"


def test_check_config_missing_secret_names_the_variable(valid_config, database):
    path, _ = valid_config
    env = edge_env(database)
    del env["TENANT_CONTEXT_SECRET"]
    proc = run_cli(["check-config", "--config", str(path)], env)
    assert proc.returncode != 0
    assert "TENANT_CONTEXT_SECRET" in output(proc)


@pytest.mark.parametrize("host,slug", [
    ("www.shop1.test", "shop1"),
    ("SHOP2.platform.test", "shop2"),
    ("suspended1.platform.test", "suspended1"),
])
def test_lookup_prints_the_store(valid_config, database, host, slug):
    path, _ = valid_config
    proc = run_cli(["lookup", "--config", str(path), host], edge_env(database))
    out = output(proc)
    assert proc.returncode == 0, out
    assert slug in out and STORES[slug] in out, out
    if slug == "suspended1":
        assert "suspended" in out.replace("suspended1", "")


def test_lookup_unknown_host(valid_config, database):
    path, _ = valid_config
    proc = run_cli(["lookup", "--config", str(path), "nosuch.example.test"], edge_env(database))
    out = output(proc)
    assert not any(store_id in out for store_id in STORES.values()), out
    assert re.search(r"not.?found|unknown|404", out, re.I), out


def test_unreachable_database_is_one_clear_line_without_password(valid_config, database):
    path, _ = valid_config
    port = free_port()  # nothing listens here
    env = edge_env(database)
    env["MASTER_DB_URL"] = f"postgresql://edge:s3cr3t-pw@127.0.0.1:{port}/platform"
    try:
        proc = run_cli(["serve", "--config", str(path)], env, timeout=40)
    except Exception as exc:  # noqa: BLE001 - a hang is the failure being tested
        pytest.fail(f"serve did not exit with the database down: {exc}")
    out = output(proc)
    assert proc.returncode != 0, out
    assert "s3cr3t-pw" not in out, "the database password was printed"
    assert "127.0.0.1" in out and str(port) in out, out
    assert len([line for line in out.splitlines() if line.strip()]) <= 10, f"too much output:\n{out}"
