#!/usr/bin/env python3
"""Measuring and reporting helpers for scripts/bench (Python 3 standard library only).

Subcommands (scripts/bench calls them; each appends records to a JSON-lines file):
  render TEMPLATE OUT KEY=VALUE...      fill {{KEY}} placeholders; any left over is an error
  wrk      --pid P ... -- wrk ARGS       one wrk run, CPU of P's process tree before/after
  h2load   --pid P ... -- h2load ARGS    one h2load run (HTTP/2), latency from its --log-file
  idle     --pid P --port N --conns N    RSS with N idle keep-alive connections open
  callgrind --contender C --scenario S FILE...   instructions per request from callgrind dumps
  proc     --pid P --contender C --label L       VmRSS/VmHWM of P (e.g. after start)
  report   --raw FILE --meta FILE --outdir DIR   results.md, results.json, results.png
"""
import argparse
import json
import os
import re
import resource
import select
import socket
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

CONTENDER_ORDER = ["tenant-edge", "nginx", "haproxy"]
CONTENDER_LABEL = {"tenant-edge": "tenant-edge", "nginx": "nginx", "haproxy": "HAProxy"}


def log(msg):
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------
# /proc helpers

def _ppid_map():
    kids = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                data = f.read()
        except OSError:
            continue
        rest = data[data.rfind(")") + 2:].split()
        kids.setdefault(int(rest[1]), []).append(int(name))
    return kids


def proc_tree(pid):
    """pid and all its descendants that are alive now."""
    kids = _ppid_map()
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        if os.path.exists(f"/proc/{p}"):
            out.append(p)
        todo.extend(kids.get(p, []))
    return out


def cpu_ticks(pid):
    """utime + stime of pid and its live descendants (all threads), in clock ticks."""
    total = 0
    for p in proc_tree(pid):
        try:
            with open(f"/proc/{p}/stat") as f:
                data = f.read()
        except OSError:
            continue
        fields = data[data.rfind(")") + 2:].split()
        total += int(fields[11]) + int(fields[12])  # fields 14 and 15 of stat(5)
    return total


def status_kb(pid, key):
    """Sum of a /proc/PID/status kB field (VmRSS, VmHWM) over the process tree."""
    total = 0
    for p in proc_tree(pid):
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith(key + ":"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


CLK_TCK = os.sysconf("SC_CLK_TCK")


def append(path, record):
    with open(path, "a") as f:
        f.write(json.dumps(record, sort_keys=True) + "\n")


# ---------------------------------------------------------------------------------------
# render

def cmd_render(a):
    with open(a.template) as f:
        text = f.read()
    for kv in a.pairs:
        k, _, v = kv.partition("=")
        text = text.replace("{{" + k + "}}", v)
    left = sorted(set(re.findall(r"\{\{[A-Z_]+\}\}", text)))
    if left:
        sys.exit(f"render {a.template}: unfilled placeholders {', '.join(left)}")
    with open(a.out, "w") as f:
        f.write(text)


# ---------------------------------------------------------------------------------------
# load generators

def _run_measured(pid, argv, timeout):
    c0 = cpu_ticks(pid)
    t0 = time.monotonic()
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout)
    t1 = time.monotonic()
    c1 = cpu_ticks(pid)
    return p, (c1 - c0) / CLK_TCK, t1 - t0


def cmd_wrk(a):
    p, cpu_s, wall = _run_measured(a.pid, a.argv, a.timeout)
    m = re.search(r"^WRKJSON (\{.*\})$", p.stdout, re.M)
    if p.returncode != 0 or not m:
        log(f"wrk failed ({a.contender} {a.scenario}):\n{p.stdout[-2000:]}")
        sys.exit(1)
    w = json.loads(m.group(1))
    n = w["requests"]
    errors = w["err_connect"] + w["err_read"] + w["err_write"] + w["err_timeout"]
    rec = {
        "kind": "load", "tool": "wrk", "scenario": a.scenario, "contender": a.contender, "round": a.round,
        "requests": n, "duration_s": w["duration_us"] / 1e6,
        "rps": n / (w["duration_us"] / 1e6) if w["duration_us"] else 0.0,
        "p50_ms": w["p50_us"] / 1000, "p99_ms": w["p99_us"] / 1000, "p999_ms": w["p999_us"] / 1000,
        "cpu_s": cpu_s, "cpu_us_per_req": cpu_s * 1e6 / n if n else None,
        "socket_errors": errors, "non_2xx": w["err_status"],
    }
    append(a.out, rec)
    _print_load(rec)


def _percentile(sorted_vals, pct):
    if not sorted_vals:
        return None
    k = (len(sorted_vals) - 1) * pct / 100.0
    lo = int(k)
    hi = min(lo + 1, len(sorted_vals) - 1)
    return sorted_vals[lo] + (sorted_vals[hi] - sorted_vals[lo]) * (k - lo)


def cmd_h2load(a):
    logfile = a.logfile
    if os.path.exists(logfile):
        os.unlink(logfile)
    p, cpu_s, wall = _run_measured(a.pid, a.argv, a.timeout)
    out = p.stdout
    m_req = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored", out)
    m_codes = re.search(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", out)
    m_rps = re.search(r"finished in ([\d.]+)(m?s), ([\d.]+) req/s", out)
    if p.returncode != 0 or not (m_req and m_rps):
        log(f"h2load failed ({a.contender} {a.scenario}):\n{out[-2000:]}")
        sys.exit(1)
    lat = []
    try:
        with open(logfile) as f:
            for line in f:
                parts = line.split("\t")
                if len(parts) >= 3:
                    lat.append(int(parts[2]))
    except OSError:
        pass
    lat.sort()
    done = int(m_req.group(3))
    secs = float(m_rps.group(1)) / (1000 if m_rps.group(2) == "ms" else 1)
    # CPU per request: requests done in the whole run (warm-up included, h2load's req/s is not).
    rec = {
        "kind": "load", "tool": "h2load", "scenario": a.scenario, "contender": a.contender, "round": a.round,
        "requests": done, "duration_s": secs, "rps": float(m_rps.group(3)),
        "p50_ms": (_percentile(lat, 50) or 0) / 1000, "p99_ms": (_percentile(lat, 99) or 0) / 1000,
        "p999_ms": (_percentile(lat, 99.9) or 0) / 1000,
        "cpu_s": cpu_s, "cpu_us_per_req": cpu_s * 1e6 / done if done else None,
        "socket_errors": int(m_req.group(5)) + int(m_req.group(6)),
        "non_2xx": (int(m_codes.group(2)) + int(m_codes.group(3)) + int(m_codes.group(4))) if m_codes else None,
    }
    if os.path.exists(logfile):
        os.unlink(logfile)
    append(a.out, rec)
    _print_load(rec)


def _print_load(r):
    bad = ""
    if r["socket_errors"] or r["non_2xx"]:
        bad = f"  !! socket errors {r['socket_errors']}, non-2xx {r['non_2xx']}"
    print(f"  {r['scenario']:<14} {r['contender']:<12} round {r['round']}: {r['rps']:>9,.0f} req/s  "
          f"p50 {r['p50_ms']:.2f} ms  p99 {r['p99_ms']:.2f} ms  p99.9 {r['p999_ms']:.2f} ms  "
          f"CPU {r['cpu_us_per_req'] or 0:.1f} us/req{bad}", flush=True)


# ---------------------------------------------------------------------------------------
# idle keep-alive connections and memory

def _read_response(sock, deadline):
    """Reads one HTTP/1.1 response (Content-Length or chunked). Returns the status or None."""
    buf = b""
    while True:
        head_end = buf.find(b"\r\n\r\n")
        if head_end >= 0:
            break
        if not _wait_readable(sock, deadline):
            return None
        chunk = sock.recv(65536)
        if not chunk:
            return None
        buf += chunk
    head = buf[:head_end].decode("latin-1")
    status = int(head.split(" ", 2)[1])
    length = 0
    chunked = False
    for line in head.split("\r\n")[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
        elif name.strip().lower() == "transfer-encoding" and "chunked" in value.lower():
            chunked = True
    body = buf[head_end + 4:]
    if chunked:
        while not body.endswith(b"0\r\n\r\n"):
            if not _wait_readable(sock, deadline):
                return None
            chunk = sock.recv(65536)
            if not chunk:
                return None
            body += chunk
        return status
    while len(body) < length:
        if not _wait_readable(sock, deadline):
            return None
        chunk = sock.recv(65536)
        if not chunk:
            return None
        body += chunk
    return status


def _wait_readable(sock, deadline):
    left = deadline - time.monotonic()
    if left <= 0:
        return False
    poller = select.poll()  # select() cannot watch descriptors above 1023
    poller.register(sock, select.POLLIN)
    return bool(poller.poll(left * 1000))


def cmd_idle(a):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = a.conns + 64
    if soft < want:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard) if hard != resource.RLIM_INFINITY else want, hard))
        except (ValueError, OSError):
            pass
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    n_target = min(a.conns, soft - 64)
    if n_target < a.conns:
        log(f"open-files limit {soft}: opening {n_target} connections instead of {a.conns}")
    req = (f"GET / HTTP/1.1\r\nHost: {a.host}\r\nUser-Agent: bench-idle\r\n\r\n").encode()
    # Warm up first, so that code and data pages a proxy touches on its first requests
    # (file-backed, the same for 1 connection or 10,000) are not counted per connection;
    # then count anonymous memory only (RssAnon): what connections actually hold.
    for _ in range(50):
        try:
            with socket.create_connection(("127.0.0.1", a.port), timeout=a.timeout) as w:
                w.sendall(req)
                _read_response(w, time.monotonic() + a.timeout)
        except OSError:
            break
    time.sleep(0.5)
    rss_before = status_kb(a.pid, "RssAnon")
    socks = []
    stopped = ""
    t0 = time.monotonic()
    for i in range(n_target):
        try:
            s = socket.create_connection(("127.0.0.1", a.port), timeout=a.timeout)
            s.setblocking(True)
            s.sendall(req)
            status = _read_response(s, time.monotonic() + a.timeout)
        except OSError as e:
            stopped = f"connection {i + 1}: {e}"
            break
        if status != 200:
            s.close()
            stopped = f"connection {i + 1}: {'no response within %ss' % a.timeout if status is None else 'status %d' % status}"
            break
        socks.append(s)
    opened = time.monotonic() - t0
    time.sleep(a.settle)
    alive = len(socks)
    rss_after = status_kb(a.pid, "RssAnon")
    for s in socks:
        s.close()
    rec = {
        "kind": "memory", "scenario": "idle-keepalive", "contender": a.contender,
        "conns_wanted": a.conns, "conns": alive, "rss_before_kb": rss_before, "rss_after_kb": rss_after,
        "bytes_per_conn": (rss_after - rss_before) * 1024 / alive if alive else None,
        "stopped": stopped, "open_seconds": round(opened, 2),
    }
    append(a.out, rec)
    note = f" (stopped at {stopped})" if stopped else ""
    print(f"  idle-keepalive {a.contender:<12} {alive} conns: RSS {rss_before / 1024:.1f} -> {rss_after / 1024:.1f} MiB, "
          f"{(rec['bytes_per_conn'] or 0) / 1024:.2f} KiB/conn{note}", flush=True)


def cmd_proc(a):
    rec = {"kind": "proc", "contender": a.contender, "label": a.label,
           "rss_kb": status_kb(a.pid, "VmRSS"), "hwm_kb": status_kb(a.pid, "VmHWM")}
    if a.seconds is not None:
        rec["seconds"] = a.seconds
    if a.hosts is not None:
        rec["hosts"] = a.hosts
    append(a.out, rec)


# ---------------------------------------------------------------------------------------
# callgrind

def callgrind_total(paths):
    """Sum of the first event (Ir) over callgrind dump files: the `totals:` line, else `summary:`."""
    total = 0
    for path in paths:
        found = None
        with open(path, errors="replace") as f:
            for line in f:
                if line.startswith("totals:"):
                    found = int(line.split()[1])
                elif line.startswith("summary:") and found is None:
                    found = int(line.split()[1])
        if found is None:
            raise SystemExit(f"no totals in {path}")
        total += found
    return total


def cmd_callgrind(a):
    total = callgrind_total(a.files)
    rec = {"kind": "instructions", "scenario": a.scenario, "contender": a.contender,
           "requests": a.requests, "instructions": total, "per_request": total / a.requests,
           "non_2xx": a.non_2xx}
    append(a.out, rec)
    print(f"  callgrind {a.scenario:<8} {a.contender:<12} {total:,} instructions / {a.requests:,} requests = "
          f"{total / a.requests / 1000:.1f}k per request", flush=True)


# ---------------------------------------------------------------------------------------
# report

def _median(vals):
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None


def _fmt(v, kind):
    if v is None:
        return "–"
    if kind == "rps":
        return f"{v:,.0f}"
    if kind == "ms":
        return f"{v:.2f} ms"
    if kind == "us":
        return f"{v:.1f}"
    if kind == "k":
        return f"{v / 1000:.1f}k"
    if kind == "kib":
        return f"{v / 1024:.2f} KiB"
    if kind == "ratio":
        return f"{v:.2f}×"
    return str(v)


SCENARIO_TITLE = {
    "h1-c64": "HTTP/1.1 plain, 64 connections (wrk -t1 -c64)",
    "h1-c512": "HTTP/1.1 plain, 512 connections (wrk -t1 -c512)",
    "tls-h1-c64": "HTTPS HTTP/1.1, 64 connections (wrk -t1 -c64)",
    "tls-h1-c512": "HTTPS HTTP/1.1, 512 connections (wrk -t1 -c512)",
    "h2-c64": "HTTP/2 over TLS (h2load -t1 -c64 -m{m})",
    "tls-handshake": "Full TLS handshakes: one HTTPS request per new connection (wrk -t1 -c64, Connection: close)",
}


def summarize(records):
    loads = [r for r in records if r.get("kind") == "load"]
    scen_order = []
    for r in loads:
        if r["scenario"] not in scen_order:
            scen_order.append(r["scenario"])
    instr = {(r["scenario"], r["contender"]): r for r in records if r.get("kind") == "instructions"}
    mem = {r["contender"]: r for r in records if r.get("kind") == "memory"}
    summary = {}
    for s in scen_order:
        summary[s] = {}
        for c in CONTENDER_ORDER:
            rs = [r for r in loads if r["scenario"] == s and r["contender"] == c]
            if not rs:
                continue
            proto = "tls" if s.startswith("tls") or s.startswith("h2") else "plain"
            ins = instr.get((proto, c))
            summary[s][c] = {
                "rounds": len(rs),
                "rps": _median([r["rps"] for r in rs]),
                "p50_ms": _median([r["p50_ms"] for r in rs]),
                "p99_ms": _median([r["p99_ms"] for r in rs]),
                "p999_ms": _median([r["p999_ms"] for r in rs]),
                "cpu_us_per_req": _median([r["cpu_us_per_req"] for r in rs]),
                "rps_all_rounds": [round(r["rps"]) for r in rs],
                "socket_errors": sum(r["socket_errors"] or 0 for r in rs),
                "non_2xx": sum(r["non_2xx"] or 0 for r in rs),
                # callgrind counts keep-alive requests: not comparable with h2 or handshakes.
                "instructions_per_req": ins["per_request"] if ins and s not in ("h2-c64", "tls-handshake") else None,
                "rss_bytes_per_conn": (mem[c]["bytes_per_conn"] if c in mem and proto == "plain" else None),
            }
    return scen_order, summary, instr, mem


def _ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def cmd_report(a):
    records = []
    with open(a.raw) as f:
        for line in f:
            line = line.strip()
            if line:
                records.append(json.loads(line))
    with open(a.meta) as f:
        meta = json.load(f)
    scen_order, summary, instr, mem = summarize(records)
    h2m = meta.get("h2_streams", 10)

    L = []
    L.append("# Benchmarks: tenant-edge beside nginx and HAProxy")
    L.append("")
    L.append(f"Produced by `{meta.get('command', 'scripts/bench')}` on {meta['date']}. "
             "Regenerate with the same command; the numbers below come from one run, with the "
             "contenders alternating (A B C A B C ...) so that drift on this shared machine hits all alike. "
             "Each figure is the median over the rounds.")
    L.append("")
    L.append("## Machine")
    L.append("")
    L.append(f"- CPU: {meta['cpu_model']}, `nproc` = {meta['nproc']}")
    L.append(f"- Kernel: {meta['kernel']}")
    L.append(f"- Memory: {meta.get('mem_total', '?')}")
    L.append(f"- Load average when the report was written: {' '.join(meta.get('loadavg', []))} "
             "(other work on the machine shows here)")
    L.append(f"- Versions: {meta.get('versions', '')}")
    L.append(f"- tenant-edge: {meta.get('edge_version') or 'not built in this run'}")
    L.append("")
    L.append("## Setup")
    L.append("")
    L.append("- One worker each (nginx `worker_processes 1`, HAProxy `nbthread 1`, tenant-edge `workers: 1`), "
             "logging off, upstream keep-alive, a host map setting a store header, 404 for unknown hosts; "
             "configs in `bench/` (copied from the shared anchors, settings unchanged).")
    L.append("- Backend: nginx answering `hello\\n` from memory (`bench/backend-nginx.conf`), one worker.")
    L.append(f"- Requests: `GET /` with `Host: shop1.example.com`; rounds: {meta['rounds']}, "
             f"{meta['duration']} s per run; load generators, proxies and backend share all cores.")
    L.append(f"- Route map: tenant-edge loads shop1..3.example.com plus {meta['filler_hosts']:,} filler hostnames "
             "from PostgreSQL; nginx and HAProxy use the anchors' 3-entry map.")
    L.append("- CPU µs/req: the proxy's own utime+stime (`/proc/PID/stat`, all threads and worker processes) "
             "over the run, divided by the requests the load generator completed.")
    L.append("- Instructions/req: `valgrind --tool=callgrind --instr-atstart=no`, warm-up "
             "`h2load --h1 -n 3000 -c 16`, then exactly "
             f"{meta.get('callgrind_requests', 50000):,} requests (`h2load --h1 -c 16`), dump totals divided by "
             "the request count (user space only). tenant-edge runs as a copy stripped with "
             "`objcopy --strip-debug`, nginx with `master_process off`."
             + ("" if meta.get("callgrind") else " **Not measured in this run** (`scripts/bench --callgrind`)."))
    L.append(f"- RSS/conn: anonymous resident memory (RssAnon, after a warm-up) of the proxy with {meta['idle_conns']:,} idle keep-alive connections open "
             "(one request answered on each) minus VmRSS before, divided by the connections.")
    L.append("")
    for note in meta.get("notes", []):
        L.append(f"> {note}")
        L.append("")

    for s in scen_order:
        title = SCENARIO_TITLE.get(s, s).format(m=h2m)
        L.append(f"## {title}")
        L.append("")
        L.append("| contender | req/s | p50 | p99 | p99.9 | CPU µs/req | instructions/req | RSS/conn |")
        L.append("|---|---:|---:|---:|---:|---:|---:|---:|")
        for c in CONTENDER_ORDER:
            v = summary[s].get(c)
            if v is None:
                reason = meta.get("skipped", {}).get(c)
                if not reason and s != "h1-c64" and s != "h1-c512":
                    reason = meta.get("skipped_tls", {}).get(c)
                reason = reason or "not run"
                L.append(f"| {CONTENDER_LABEL[c]} | skipped: {reason} | | | | | | |")
                continue
            flag = ""
            if v["socket_errors"] or v["non_2xx"]:
                flag = f" ⚠ {v['socket_errors']} socket errors, {v['non_2xx']} non-2xx"
            L.append(f"| {CONTENDER_LABEL[c]}{flag} | {_fmt(v['rps'], 'rps')} | {_fmt(v['p50_ms'], 'ms')} | "
                     f"{_fmt(v['p99_ms'], 'ms')} | {_fmt(v['p999_ms'], 'ms')} | {_fmt(v['cpu_us_per_req'], 'us')} | "
                     f"{_fmt(v['instructions_per_req'], 'k')} | {_fmt(v['rss_bytes_per_conn'], 'kib')} |")
        L.append("")
        rounds = "; ".join(f"{CONTENDER_LABEL[c]} {', '.join(f'{x:,}' for x in summary[s][c]['rps_all_rounds'])}"
                           for c in CONTENDER_ORDER if c in summary[s])
        L.append(f"req/s per round: {rounds}.")
        L.append("")

    # Ratios
    ratio_rows = []
    for s in scen_order:
        te = summary[s].get("tenant-edge")
        if not te:
            continue
        for other in ("nginx", "haproxy"):
            o = summary[s].get(other)
            if not o:
                continue
            ratio_rows.append((s, other, _ratio(te["rps"], o["rps"]), _ratio(te["p99_ms"], o["p99_ms"]),
                               _ratio(te["cpu_us_per_req"], o["cpu_us_per_req"]),
                               _ratio(te["instructions_per_req"], o["instructions_per_req"]),
                               _ratio(te["rss_bytes_per_conn"], o["rss_bytes_per_conn"])))
    L.append("## Ratios tenant-edge / nginx and tenant-edge / HAProxy")
    L.append("")
    if ratio_rows:
        L.append("| scenario | vs | req/s | p99 | CPU µs/req | instructions/req | RSS/conn |")
        L.append("|---|---|---:|---:|---:|---:|---:|")
        for s, other, rps, p99, cpu, ins, rss in ratio_rows:
            L.append(f"| {s} | {CONTENDER_LABEL[other]} | {_fmt(rps, 'ratio')} | {_fmt(p99, 'ratio')} | "
                     f"{_fmt(cpu, 'ratio')} | {_fmt(ins, 'ratio')} | {_fmt(rss, 'ratio')} |")
        L.append("")
        L.append("Higher is better for req/s; lower is better for the others.")
    else:
        L.append(f"Not available: tenant-edge was skipped ({meta.get('skipped', {}).get('tenant-edge', 'not run')}).")
    L.append("")

    # Targets of issue 6
    targets = _targets(summary, instr, mem)
    if targets:
        L.append("## Targets (issue 6)")
        L.append("")
        L.append("| target | measured | met |")
        L.append("|---|---|:---:|")
        for name, measured, ok in targets:
            L.append(f"| {name} | {measured} | {'yes' if ok else ('–' if ok is None else '**no**')} |")
        L.append("")

    # Instructions and memory detail
    if instr:
        L.append("## Instructions per request (callgrind)")
        L.append("")
        L.append("| contender | plain | TLS |")
        L.append("|---|---:|---:|")
        for c in CONTENDER_ORDER:
            p = instr.get(("plain", c))
            t = instr.get(("tls", c))
            if p or t:
                L.append(f"| {CONTENDER_LABEL[c]} | {_fmt(p and p['per_request'], 'k')} | {_fmt(t and t['per_request'], 'k')} |")
        L.append("")
    if mem:
        L.append("## Memory with idle keep-alive connections")
        L.append("")
        L.append("| contender | connections | RSS before | RSS after | per connection | note |")
        L.append("|---|---:|---:|---:|---:|---|")
        for c in CONTENDER_ORDER:
            m = mem.get(c)
            if m:
                L.append(f"| {CONTENDER_LABEL[c]} | {m['conns']:,} | {m['rss_before_kb'] / 1024:.1f} MiB | "
                         f"{m['rss_after_kb'] / 1024:.1f} MiB | {_fmt(m['bytes_per_conn'], 'kib')} | "
                         f"{('stopped at ' + m['stopped']) if m['stopped'] else ''} |")
        L.append("")
        if any(m["stopped"] for m in mem.values()):
            L.append("HAProxy's anchor config caps `maxconn` at 8,000 (well under the open-files limit, as the "
                     "anchors require), so it holds fewer idle connections; its figure is per connection held.")
            L.append("")
    procs = [r for r in records if r.get("kind") == "proc"]
    if procs:
        L.append("## tenant-edge start-up")
        L.append("")
        L.append("| when | hostnames | seconds to answer | VmRSS | VmHWM (peak) |")
        L.append("|---|---:|---:|---:|---:|")
        for r in procs:
            L.append(f"| {r['label']} | {r.get('hosts', 0):,} | {_fmt(r.get('seconds'), 'us') if r.get('seconds') is not None else '–'} | "
                     f"{r['rss_kb'] / 1024:.1f} MiB | {r['hwm_kb'] / 1024:.1f} MiB |")
        L.append("")
    routes = meta.get("routes_output")
    if routes:
        L.append("## Route map microbenchmark (`tenant-edge bench-routes`)")
        L.append("")
        L.append("```")
        L.append(routes.rstrip())
        L.append("```")
        L.append("")
    L.append("![throughput and p99 per scenario](results.png)")
    L.append("")
    L.append("Raw numbers (every round): [results.json](results.json).")
    L.append("")

    os.makedirs(a.outdir, exist_ok=True)
    with open(os.path.join(a.outdir, "results.md"), "w") as f:
        f.write("\n".join(L))
    with open(os.path.join(a.outdir, "results.json"), "w") as f:
        json.dump({"meta": meta, "summary": summary, "records": records}, f, indent=1, sort_keys=True)
        f.write("\n")
    import pngchart
    pngchart.write_chart(os.path.join(a.outdir, "results.png"), scen_order, summary, CONTENDER_ORDER,
                         CONTENDER_LABEL, f"{meta['date']}  {meta['nproc']} cores  one worker each")
    print(f"wrote {a.outdir}/results.md, results.json, results.png")


def _targets(summary, instr, mem):
    te = lambda s: summary.get(s, {}).get("tenant-edge")
    other = lambda s, c: summary.get(s, {}).get(c)
    out = []
    if te("h1-c64") and other("h1-c64", "nginx"):
        r = _ratio(te("h1-c64")["rps"], other("h1-c64", "nginx")["rps"])
        out.append(("HTTP/1.1 plain c64 req/s ≥ 1.2 × nginx", _fmt(r, "ratio"), r is not None and r >= 1.2))
    if te("h1-c64") and other("h1-c64", "haproxy"):
        r = _ratio(te("h1-c64")["rps"], other("h1-c64", "haproxy")["rps"])
        out.append(("HTTP/1.1 plain c64 req/s ≥ 1.4 × HAProxy", _fmt(r, "ratio"), r is not None and r >= 1.4))
    for proto in ("plain", "tls"):
        t, n = instr.get((proto, "tenant-edge")), instr.get((proto, "nginx"))
        if t and n:
            r = t["per_request"] / n["per_request"]
            out.append((f"instructions/req ({proto}) ≤ 0.8 × nginx", _fmt(r, "ratio"), r <= 0.8))
    for s in ("tls-h1-c64", "h2-c64"):
        if te(s) and other(s, "nginx"):
            r = _ratio(te(s)["rps"], other(s, "nginx")["rps"])
            out.append((f"{s} req/s ≥ 1.1 × nginx", _fmt(r, "ratio"), r is not None and r >= 1.1))
    if te("tls-handshake") and other("tls-handshake", "nginx"):
        r = _ratio(te("tls-handshake")["rps"], other("tls-handshake", "nginx")["rps"])
        out.append(("full TLS handshakes/s ≥ nginx's (issue 4)", _fmt(r, "ratio"), r is not None and r >= 1.0))
    for s in summary:
        if te(s) and other(s, "nginx"):
            r = _ratio(te(s)["p99_ms"], other(s, "nginx")["p99_ms"])
            out.append((f"{s} p99 ≤ nginx's", _fmt(r, "ratio"), r is not None and r <= 1.0))
    if "tenant-edge" in mem and "nginx" in mem:
        t, n = mem["tenant-edge"]["bytes_per_conn"], mem["nginx"]["bytes_per_conn"]
        r = _ratio(t, n)
        out.append(("RSS per idle keep-alive connection ≤ nginx's", _fmt(r, "ratio"), r is not None and r <= 1.0))
    return out


# ---------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)

    p = sub.add_parser("render")
    p.add_argument("template")
    p.add_argument("out")
    p.add_argument("pairs", nargs="*")
    p.set_defaults(fn=cmd_render)

    for name, fn in (("wrk", cmd_wrk), ("h2load", cmd_h2load)):
        p = sub.add_parser(name)
        p.add_argument("--pid", type=int, required=True)
        p.add_argument("--scenario", required=True)
        p.add_argument("--contender", required=True)
        p.add_argument("--round", type=int, default=1)
        p.add_argument("--out", required=True)
        p.add_argument("--timeout", type=float, default=300)
        if name == "h2load":
            p.add_argument("--logfile", required=True)
        p.add_argument("argv", nargs=argparse.REMAINDER)
        p.set_defaults(fn=fn)

    p = sub.add_parser("idle")
    p.add_argument("--pid", type=int, required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--host", default="shop1.example.com")
    p.add_argument("--conns", type=int, default=10000)
    p.add_argument("--contender", required=True)
    p.add_argument("--timeout", type=float, default=2.0)
    p.add_argument("--settle", type=float, default=2.0)  # idle: past the moment a proxy frees per-request memory
    p.add_argument("--out", required=True)
    p.set_defaults(fn=cmd_idle)

    p = sub.add_parser("proc")
    p.add_argument("--pid", type=int, required=True)
    p.add_argument("--contender", required=True)
    p.add_argument("--label", required=True)
    p.add_argument("--seconds", type=float)
    p.add_argument("--hosts", type=int)
    p.add_argument("--out", required=True)
    p.set_defaults(fn=cmd_proc)

    p = sub.add_parser("callgrind")
    p.add_argument("--contender", required=True)
    p.add_argument("--scenario", required=True)
    p.add_argument("--requests", type=int, required=True)
    p.add_argument("--non-2xx", type=int, default=0)
    p.add_argument("--out", required=True)
    p.add_argument("files", nargs="+")
    p.set_defaults(fn=cmd_callgrind)

    p = sub.add_parser("report")
    p.add_argument("--raw", required=True)
    p.add_argument("--meta", required=True)
    p.add_argument("--outdir", required=True)
    p.set_defaults(fn=cmd_report)

    a = ap.parse_args()
    if getattr(a, "argv", None) and a.argv[0] == "--":
        a.argv = a.argv[1:]
    a.fn(a)


if __name__ == "__main__":
    main()
