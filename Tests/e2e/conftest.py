"""Fixtures for the end-to-end tests: PostgreSQL with the platform schema and demo
stores, two echo backends, and the real tenant-edge binary in front of them.

PostgreSQL comes from TENANT_EDGE_TEST_DB_URL (or TE_PG_URL), which scripts/test sets;
run alone (`python3 -m pytest Tests/e2e`), the suite starts its own throwaway server
through scripts/lib.sh. Each test module gets a fresh database and its own proxy."""

from __future__ import annotations

import os
import re
import subprocess
import urllib.parse

import pytest

from echo_backend import EchoBackend
from helpers import REPO, SECRET, EdgeProcess, config_yaml, free_port

SQL_DIR = REPO / "config" / "sql"
SCHEMA_FILES = ["platform_schema.sql", "tenant_edge_migration.sql"]
DEMO_DATA = SQL_DIR / "demo_data.sql"

_running: list[EdgeProcess] = []


def _psql(url: str, *args: str) -> subprocess.CompletedProcess:
    proc = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, *args],
                          capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise RuntimeError(f"psql {' '.join(args)} failed:\n{proc.stderr}")
    return proc


def _with_database(url: str, dbname: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path="/" + dbname))


@pytest.fixture(scope="session")
def pg_admin_url():
    url = os.environ.get("TENANT_EDGE_TEST_DB_URL") or os.environ.get("TE_PG_URL")
    if url:
        yield url
        return
    # Not under scripts/test: start our own throwaway PostgreSQL.
    script = f'set -e; TE_SCRIPT=e2e; . "{REPO}/scripts/lib.sh"; te_pg_start; echo "$TE_PG_URL"; echo "$TE_PG_DIR"'
    proc = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=180)
    if proc.returncode != 0:
        pytest.fail("no TENANT_EDGE_TEST_DB_URL and could not start PostgreSQL via scripts/lib.sh:\n"
                    + proc.stderr, pytrace=False)
    url, pg_dir = proc.stdout.split()[-2:]
    try:
        yield url
    finally:
        subprocess.run(["bash", "-c", f'. "{REPO}/scripts/lib.sh"; TE_PG_DIR="$1"; te_pg_stop', "_", pg_dir],
                       timeout=60)


@pytest.fixture(scope="session")
def schema_files():
    missing = [name for name in SCHEMA_FILES if not (SQL_DIR / name).is_file()]
    if missing:
        pytest.fail(f"missing {', '.join('config/sql/' + m for m in missing)}: the platform schema fixture "
                    "and the tenant-edge migration are needed to build the test database", pytrace=False)
    return [SQL_DIR / name for name in SCHEMA_FILES]


@pytest.fixture(scope="module")
def database(request, pg_admin_url, schema_files):
    """A fresh database with the platform tables, the migration and the demo stores."""
    name = re.sub(r"[^a-z0-9_]", "_", f"te_e2e_{request.module.__name__}_{os.getpid()}".lower())[:60]
    _psql(pg_admin_url, "-c", f'DROP DATABASE IF EXISTS "{name}"', "-c", f'CREATE DATABASE "{name}"')
    url = _with_database(pg_admin_url, name)
    for f in [*schema_files, DEMO_DATA]:
        _psql(url, "-f", str(f))
    yield url
    _psql(pg_admin_url, "-c", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def backends():
    default, api = EchoBackend("default").start(), EchoBackend("api").start()
    yield {"default": default, "api": api}
    default.stop()
    api.stop()


class Edge:
    """A running proxy and what a test needs to talk to it and to its backends."""

    def __init__(self, proc: EdgeProcess, port: int, admin_port: int, config_path: str, env: dict,
                 backends: dict):
        self.proc, self.port, self.admin_port = proc, port, admin_port
        self.config_path, self.env, self.backends = config_path, env, backends
        self.backend, self.api = backends["default"], backends["api"]

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"


def edge_env(db_url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("MASTER_DB_URL", "TENANT_CONTEXT_SECRET")}
    env.update(MASTER_DB_URL=db_url, TENANT_CONTEXT_SECRET=SECRET)
    return env


@pytest.fixture(scope="module")
def start_edge(tmp_path_factory, database, backends):
    """Factory: start a tenant-edge with the standard test config; `default_port` and
    `api_port` override where the upstreams point (e.g. at a closed port), `timeouts`
    overrides single timeouts."""
    started: list[EdgeProcess] = []

    def start(default_port: int | None = None, api_port: int | None = None, extra: str = "",
              timeouts: dict | None = None) -> Edge:
        workdir = tmp_path_factory.mktemp("edge")
        port, admin_port = free_port(), free_port()
        config = workdir / "tenant-edge.yaml"
        config.write_text(config_yaml(port, admin_port,
                                      default_port or backends["default"].port,
                                      api_port or backends["api"].port,
                                      str(workdir / "routes.json"), extra, timeouts))
        env = edge_env(database)
        proc = EdgeProcess(str(config), env, port, str(workdir))
        started.append(proc)
        _running.append(proc)
        proc.start()
        return Edge(proc, port, admin_port, str(config), env, backends)

    yield start
    for proc in started:
        proc.stop()
        if proc in _running:
            _running.remove(proc)


@pytest.fixture(scope="module")
def edge(start_edge) -> Edge:
    return start_edge()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for proc in _running:
            status = "running" if proc.alive() else f"exited {proc.proc.returncode if proc.proc else '?'}"
            report.sections.append((f"tenant-edge stderr (port {proc.port}, {status})", proc.stderr_tail()))
