"""Live route updates (issue 3, DESIGN.md section 4): changes in the master database reach
the running proxy through LISTEN/NOTIFY and the change log, across lost connections, a
stopped PostgreSQL and a proxy restart from the snapshot.

Waits are bounded polls (a few seconds); timing never decides a pass beyond that. The
outage tests stop and start a PostgreSQL of their own (scripts/lib.sh), never the shared one."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from conftest import DEMO_DATA, SCHEMA_FILES, SQL_DIR, _psql, edge_env
from helpers import PLATFORM, REPO, EdgeProcess, config_yaml, edge_bin, exchange, free_port, request_bytes

WAIT = 8.0  # seconds a change may take to show; generous, far above the feed's milliseconds


def status_of(port: int, host: str) -> int:
    resp, _ = exchange(port, request_bytes("GET", "/", host, [("Connection", "close")]))
    return resp.status


def wait_status(port: int, host: str, expected: int, timeout: float = WAIT) -> None:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = status_of(port, host)
        if last == expected:
            return
        time.sleep(0.05)
    raise AssertionError(f"{host}: expected {expected} within {timeout}s, last answer {last}")


def new_store(url: str, slug: str, status: str = "active", hostnames: tuple[str, ...] = ()) -> str:
    store_id = str(uuid.uuid4())
    sql = [f"INSERT INTO stores (id, slug, status, is_active) VALUES ('{store_id}', '{slug}', '{status}', true);"]
    sql += [f"INSERT INTO store_hostnames (store_id, hostname) VALUES ('{store_id}', '{h}');" for h in hostnames]
    _psql(url, "-c", "BEGIN;" + "".join(sql) + "COMMIT;")
    return store_id


def snapshot_path(edge) -> Path:
    return Path(edge.config_path).parent / "routes.json"


def wait_snapshot(path: Path, predicate, timeout: float = WAIT) -> dict:
    deadline = time.monotonic() + timeout
    data = None
    while time.monotonic() < deadline:
        try:
            data = json.loads(path.read_text())
            if predicate(data):
                return data
        except (OSError, ValueError):
            pass
        time.sleep(0.1)
    raise AssertionError(f"snapshot {path} never satisfied the check (last: {str(data)[:300]})")


def u(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


# ---------------------------------------------------------------------------
# Against the shared PostgreSQL


def test_inserted_store_and_hostname_become_routable(edge, database):
    slug = u("new")
    assert status_of(edge.port, f"www.{slug}.test") == 404
    new_store(database, slug, hostnames=(f"www.{slug}.test",))
    wait_status(edge.port, f"www.{slug}.test", 200)
    wait_status(edge.port, f"{slug}.{PLATFORM}", 200)


def test_hostname_rename_moves_the_route(edge, database):
    slug = u("ren")
    new_store(database, slug, hostnames=(f"old.{slug}.test",))
    wait_status(edge.port, f"old.{slug}.test", 200)
    _psql(database, "-c", f"UPDATE store_hostnames SET hostname = 'new.{slug}.test' WHERE hostname = 'old.{slug}.test'")
    wait_status(edge.port, f"new.{slug}.test", 200)
    wait_status(edge.port, f"old.{slug}.test", 404)


def test_store_status_change_applies_to_its_hosts(edge, database):
    slug = u("st")
    store_id = new_store(database, slug, hostnames=(f"www.{slug}.test",))
    wait_status(edge.port, f"www.{slug}.test", 200)
    _psql(database, "-c", f"UPDATE stores SET status = 'inactive' WHERE id = '{store_id}'")
    wait_status(edge.port, f"www.{slug}.test", 410)
    wait_status(edge.port, f"{slug}.{PLATFORM}", 410)
    _psql(database, "-c", f"UPDATE stores SET status = 'active' WHERE id = '{store_id}'")
    wait_status(edge.port, f"www.{slug}.test", 200)


def test_slug_change_moves_the_platform_wildcard(edge, database):
    slug, renamed = u("sl"), u("sl")
    store_id = new_store(database, slug)
    wait_status(edge.port, f"{slug}.{PLATFORM}", 200)
    _psql(database, "-c", f"UPDATE stores SET slug = '{renamed}' WHERE id = '{store_id}'")
    wait_status(edge.port, f"{renamed}.{PLATFORM}", 200)
    wait_status(edge.port, f"{slug}.{PLATFORM}", 404)


def test_deletes_remove_routes(edge, database):
    slug = u("del")
    store_id = new_store(database, slug, hostnames=(f"a.{slug}.test", f"b.{slug}.test"))
    wait_status(edge.port, f"b.{slug}.test", 200)
    _psql(database, "-c", f"DELETE FROM store_hostnames WHERE hostname = 'a.{slug}.test'")
    wait_status(edge.port, f"a.{slug}.test", 404)
    assert status_of(edge.port, f"b.{slug}.test") == 200
    _psql(database, "-c", f"DELETE FROM stores WHERE id = '{store_id}'")  # cascades to b.
    wait_status(edge.port, f"b.{slug}.test", 404)
    wait_status(edge.port, f"{slug}.{PLATFORM}", 404)


def test_store_suspended_in_one_transaction_blocks_all_its_hostnames(edge, database):
    slug = u("sus")
    hosts = [f"h{i}.{slug}.test" for i in range(5)]
    store_id = new_store(database, slug, hostnames=tuple(hosts))
    for host in hosts:
        wait_status(edge.port, host, 200)
    _psql(database, "-c", f"BEGIN; UPDATE stores SET status = 'suspended' WHERE id = '{store_id}'; "
                          f"UPDATE stores SET updated_at = now() WHERE id = '{store_id}'; COMMIT;")
    for host in hosts + [f"{slug}.{PLATFORM}"]:
        wait_status(edge.port, host, 503)


def test_ten_thousand_hostnames_in_one_transaction(edge, database):
    slug = u("bulk")
    store_id = new_store(database, slug)
    _psql(database, "-c", f"INSERT INTO store_hostnames (store_id, hostname) "
                          f"SELECT '{store_id}', 'h' || g || '.{slug}.test' FROM generate_series(1, 10000) g")
    # The count: every one of them in the map the proxy wrote after the sync.
    data = wait_snapshot(snapshot_path(edge), lambda d: sum(
        1 for h in d["hostnames"] if h["hostname"].endswith(f".{slug}.test")) == 10000)
    assert sum(1 for h in data["hostnames"] if h["store_id"] == store_id) == 10000
    # A sample through the proxy itself.
    for i in (1, 2, 777, 5000, 9999, 10000):
        wait_status(edge.port, f"h{i}.{slug}.test", 200)
    assert status_of(edge.port, f"h10001.{slug}.test") == 404


def test_change_after_pg_terminate_backend_is_applied(edge, database):
    proc = _psql(database, "-At", "-c",
                 "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                 "WHERE application_name = 'tenant-edge' AND datname = current_database()")
    assert int(proc.stdout.strip()) >= 1, "the feed's session was not found by application_name"
    slug = u("term")
    new_store(database, slug, hostnames=(f"www.{slug}.test",))
    wait_status(edge.port, f"www.{slug}.test", 200, timeout=15)
    assert "reconnected" in Path(edge.proc.stderr_path).read_text()


def test_sighup_resyncs_changes_that_bypassed_the_log(edge, database):
    slug = u("hup")
    store_id = new_store(database, slug)
    wait_status(edge.port, f"{slug}.{PLATFORM}", 200)
    # Triggers off: the change reaches neither the log nor NOTIFY; only a full resync sees it.
    _psql(database, "-c", "BEGIN; ALTER TABLE store_hostnames DISABLE TRIGGER tenant_edge_store_hostnames_changed; "
                          f"INSERT INTO store_hostnames (store_id, hostname) VALUES ('{store_id}', 'quiet.{slug}.test'); "
                          "ALTER TABLE store_hostnames ENABLE TRIGGER tenant_edge_store_hostnames_changed; COMMIT;")
    time.sleep(1.0)
    assert status_of(edge.port, f"quiet.{slug}.test") == 404
    edge.proc.proc.send_signal(signal.SIGHUP)
    wait_status(edge.port, f"quiet.{slug}.test", 200)
    assert edge.proc.alive()


def test_malformed_row_is_skipped_and_the_rest_applies(edge, database):
    slug = u("bad")
    store_id = new_store(database, slug)
    _psql(database, "-c", f"BEGIN; INSERT INTO store_hostnames (store_id, hostname) VALUES "
                          f"('{store_id}', 'bad host!.{slug}.test'), ('{store_id}', 'good.{slug}.test'); COMMIT;")
    wait_status(edge.port, f"good.{slug}.test", 200)
    deadline = time.monotonic() + WAIT
    while f"bad host!.{slug}.test" not in Path(edge.proc.stderr_path).read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    log = Path(edge.proc.stderr_path).read_text()
    assert "skipped route row" in log and f"bad host!.{slug}.test" in log
    assert edge.proc.alive()


# ---------------------------------------------------------------------------
# Outages, against a PostgreSQL of this module's own


class OwnPostgres:
    """A throwaway PostgreSQL (scripts/lib.sh) that tests may stop and start again."""

    def __init__(self):
        # Unset the shared instance's variables (scripts/test exports them): te_pg_start
        # would otherwise hand back the shared PostgreSQL, and the outage tests stop it.
        script = f'set -e; unset TE_PG_DIR TE_PG_PORT TE_PG_URL; TE_SCRIPT=e2e; . "{REPO}/scripts/lib.sh"; te_pg_start; ' \
                 'echo "$TE_PG_URL $TE_PG_DIR $TE_PG_BINDIR $TE_PG_PORT"'
        proc = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=180)
        if proc.returncode != 0:
            pytest.fail(f"could not start a PostgreSQL for the outage tests:\n{proc.stderr}", pytrace=False)
        self.admin_url, self.dir, self.bindir, self.port = proc.stdout.split()[-4:]

    def _ctl(self, *args: str) -> None:
        script = f'. "{REPO}/scripts/lib.sh"; cd "$1"; _te_pg_as_owner "$2/pg_ctl" -D "$1/data" "${{@:3}}"'
        proc = subprocess.run(["bash", "-c", script, "_", self.dir, self.bindir, *args],
                              capture_output=True, text=True, timeout=90)
        assert proc.returncode == 0, proc.stdout + proc.stderr

    def stop(self) -> None:
        self._ctl("-m", "fast", "-w", "-t", "30", "stop")

    def start(self) -> None:
        opts = (f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir}/sock -c fsync=off "
                "-c synchronous_commit=off -c max_connections=50")
        self._ctl("-l", f"{self.dir}/postgres.log", "-w", "-t", "60", "-o", opts, "start")

    def destroy(self) -> None:
        subprocess.run(["bash", "-c", f'. "{REPO}/scripts/lib.sh"; TE_PG_DIR="$1"; TE_PG_BINDIR="$2"; te_pg_stop',
                        "_", self.dir, self.bindir], timeout=60)


@pytest.fixture(scope="module")
def own_pg():
    pg = OwnPostgres()
    try:
        _psql(pg.admin_url, "-c", "CREATE DATABASE outage")
        url = pg.admin_url.rsplit("/", 1)[0] + "/outage"
        for f in [*[SQL_DIR / n for n in SCHEMA_FILES], DEMO_DATA]:
            _psql(url, "-f", str(f))
        pg.url = url
        yield pg
    finally:
        pg.destroy()


@pytest.fixture(scope="module")
def outage_edge(own_pg, backends, tmp_path_factory):
    """Starts (and restarts) a proxy on the module's own PostgreSQL, same ports each time."""
    workdir = tmp_path_factory.mktemp("outage-edge")
    port, admin_port = free_port(), free_port()
    config = workdir / "tenant-edge.yaml"
    config.write_text(config_yaml(port, admin_port, backends["default"].port, backends["api"].port,
                                  str(workdir / "routes.json")))
    env = edge_env(own_pg.url)
    procs: list[EdgeProcess] = []

    class Handle:
        snapshot = workdir / "routes.json"

        def __init__(self):
            self.port, self.config, self.env = port, str(config), env

        def start(self) -> EdgeProcess:
            proc = EdgeProcess(str(config), env, port, str(workdir))
            procs.append(proc)
            proc.start()
            self.proc = proc
            return proc

    handle = Handle()
    yield handle
    for proc in procs:
        proc.stop()


def test_outage_keep_serving_restart_from_snapshot_and_catch_up(own_pg, outage_edge):
    slug = u("out")
    new_store(own_pg.url, slug, hostnames=(f"www.{slug}.test",))
    proc = outage_edge.start()
    wait_status(outage_edge.port, f"www.{slug}.test", 200)
    wait_snapshot(outage_edge.snapshot, lambda d: any(h["hostname"] == f"www.{slug}.test" for h in d["hostnames"]))

    # PostgreSQL stopped: the proxy keeps serving the map it has.
    own_pg.stop()
    time.sleep(1.0)
    assert proc.alive()
    assert status_of(outage_edge.port, f"www.{slug}.test") == 200
    assert status_of(outage_edge.port, f"shop1.{PLATFORM}") == 200

    # Restarted while PostgreSQL is down: it serves from the snapshot.
    proc.stop()
    proc = outage_edge.start()
    assert status_of(outage_edge.port, f"www.{slug}.test") == 200
    assert "snapshot" in Path(proc.stderr_path).read_text()

    # PostgreSQL back: changes made from then on, and while the proxy reconnects, arrive.
    own_pg.start()
    later = u("later")
    new_store(own_pg.url, later, hostnames=(f"www.{later}.test",))
    wait_status(outage_edge.port, f"www.{later}.test", 200, timeout=45)
    _psql(own_pg.url, "-c", f"DELETE FROM store_hostnames WHERE hostname = 'www.{slug}.test'")
    wait_status(outage_edge.port, f"www.{slug}.test", 404, timeout=15)
    proc.stop()


def test_no_database_and_corrupt_snapshot_exits_with_a_clear_error(own_pg, outage_edge):
    Path(outage_edge.snapshot).write_text("{not json")
    own_pg.stop()
    try:
        result = subprocess.run([edge_bin(), "serve", "--config", outage_edge.config], env=outage_edge.env,
                                capture_output=True, text=True, timeout=60)
    finally:
        own_pg.start()
    assert result.returncode != 0
    assert "corrupt" in result.stderr and "no route map to serve" in result.stderr, result.stderr[-2000:]


def test_doctor_reports_every_check(own_pg, outage_edge):
    proc = subprocess.run([edge_bin(), "doctor", "--config", outage_edge.config], env=outage_edge.env,
                          capture_output=True, text=True, timeout=60)
    lines = proc.stdout.splitlines()
    for name in ("database:", "platform tables:", "migration:", "listen/notify:", "rows:", "snapshot:"):
        assert any(name in line for line in lines), proc.stdout
    assert proc.returncode == 0, proc.stdout + proc.stderr

    own_pg.stop()
    try:
        down = subprocess.run([edge_bin(), "doctor", "--config", outage_edge.config], env=outage_edge.env,
                              capture_output=True, text=True, timeout=60)
    finally:
        own_pg.start()
    assert down.returncode == 1
    assert "FAIL  database:" in down.stdout and "fix:" in down.stdout, down.stdout
