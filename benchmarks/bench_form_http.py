"""The survey form over HTTP: the product against a minimal Flask + Flask-WTF app, same gunicorn, same database.

Both are served by ``survey.serve.run`` (gunicorn gthread, the same workers and threads, preload) on
127.0.0.1 and get the same flow from concurrent clients: GET the form, POST it with the CSRF token
and the session cookie, follow the redirect to the thank-you page.  Every link is fresh and used
once.  Rounds alternate between the two apps so both see the same machine.  Printed: submissions/s
of each and the ratio, p50/p99 per request kind, worker CPU per submission (from /proc), each worker's
memory (RSS, PSS and private, from /proc/<pid>/smaps_rollup) after load and after the run, no chart
drawn, and the rows stored per link, with lost and duplicated responses counted in
the database.  One link in twenty gives a low overall score, so the product opens a follow-up case.

    python benchmarks/bench_form_http.py                      # SQLite file in a temporary folder
    python benchmarks/bench_form_http.py --db postgresql+psycopg://postgres@127.0.0.1:5432/survey_bench --reset

A PostgreSQL database is emptied first (``--reset`` is required to say so).
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

# both under survey serve's gunicorn settings; only the product's master is warmed (charts, catalogues)
SERVE = """
import sys
sys.path.insert(0, sys.argv[4])
from survey.serve import GunicornServer
try:
    from survey.serve import options
except ImportError:  # a checkout from before serve.options: the same settings, written out
    def options(*, host, port, workers):
        return {"bind": f"{host}:{port}", "workers": workers, "threads": 4, "worker_class": "gthread",
                "accesslog": "-", "preload_app": True, "timeout": 120}
kind, port, workers = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
if kind == "survey":
    from survey import create_app as factory
else:
    from minimal_form_app import create_app as factory
server = GunicornServer(factory, options(host="127.0.0.1", port=port, workers=workers))
server.warm = kind == "survey"  # only the product's master is warmed
server.run()
"""
CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


# --- the databases ----------------------------------------------------------------------------

def reset_postgres(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def seed(url: str, n: int) -> tuple[list[str], list[str], list]:
    """``n`` fresh links for each app; returns (product tokens, minimal tokens, the questions)."""
    import datetime as dt

    import minimal_form_app as mini
    from sqlalchemy import insert

    from survey import create_app, migrate
    from survey.db import get_engine, session_scope
    from survey.models import Client, Invitation
    from survey.services import invitations, questionnaires, waves

    app = create_app({"ENV_MODE": "testing", "SECRET_KEY": "bench", "DATABASE_URL": url})
    with app.app_context():
        migrate.upgrade(get_engine())
        with session_scope() as s:
            questionnaires.ensure_default(s)
            wave = waves.create_wave(s, name="bench", period_start=dt.date(2026, 10, 1),
                                     period_end=dt.date(2026, 12, 31), actor=None, settings={"web_enabled": True})
            s.execute(insert(Client), [dict(client_no=f"B{i:07d}", name=f"客户{i}", branch_code="BJ01",
                                            manager_code=f"RM{i % 12:03d}", contribution=1000, tier_code="standard")
                                       for i in range(n)])
            ids = [c.id for c in s.query(Client.id).order_by(Client.id)]
            tokens = []
            for cid in ids:
                inv = Invitation(wave_id=wave.id, client_id=cid, tier_code="standard", mode="web")
                tokens.append(invitations.issue_token(inv, 30))
                s.add(inv)
            wave.status = "in_field"
            questions = [(q.code, q.type, [o["code"] for o in q.options] or
                          ([str(v) for v in range(1, 6)] if q.type == "satisfaction5" else [str(v) for v in range(11)]))
                         for q in waves.questions_of(wave)]
        get_engine().dispose()
    engine = mini.make_engine(url)
    mini.metadata.drop_all(engine)
    mini.metadata.create_all(engine)
    mini_tokens = [secrets.token_urlsafe(24) for _ in range(n)]
    with engine.begin() as conn:
        conn.execute(insert(mini.links), [{"token_hash": mini.token_hash(t)} for t in mini_tokens])
    engine.dispose()
    return tokens, mini_tokens, questions


def stored(url: str, submitted: dict[str, list[str]]) -> dict[str, dict]:
    """Rows in the database for the links each app answered with a redirect."""
    import minimal_form_app as mini
    from sqlalchemy import create_engine, text

    from survey.services.invitations import token_hash

    engine = create_engine(url)
    out = {}
    with engine.connect() as conn:
        for app, table, key, answers, _akey, hashes in (
            ("survey", "invitations", "invitation_id", "answers", "response_id",
             [token_hash(t) for t in submitted["survey"]]),
            ("minimal", "mini_links", "link_id", "mini_answers", "response_id",
             [mini.token_hash(t) for t in submitted["minimal"]]),
        ):
            conn.execute(text("CREATE TEMPORARY TABLE ok_links (h VARCHAR(64) PRIMARY KEY)"))
            if hashes:
                conn.execute(text("INSERT INTO ok_links (h) VALUES (:h)"), [{"h": h} for h in hashes])
            resp_table = "responses" if app == "survey" else "mini_responses"
            n_resp, n_links = conn.execute(text(
                f"SELECT count(r.id), count(DISTINCT r.{key}) FROM {resp_table} r JOIN {table} l ON l.id = r.{key}"
                f" JOIN ok_links o ON o.h = l.token_hash")).one()
            n_ans = conn.execute(text(f"SELECT count(*) FROM {answers}")).scalar()
            all_resp = conn.execute(text(f"SELECT count(*) FROM {resp_table}")).scalar()
            cases = conn.execute(text("SELECT count(*) FROM followup_cases")).scalar() if app == "survey" else 0
            conn.execute(text("DROP TABLE ok_links"))
            out[app] = {"responses": all_resp, "lost": len(hashes) - n_links, "duplicated": n_resp - n_links,
                        "answers": n_ans, "cases": cases}
    engine.dispose()
    return out


# --- the servers ------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(kind: str, url: str, workers: int, questions: list) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = {**os.environ, "SURVEY_SECRET_KEY": "bench-secret", "SURVEY_DATABASE_URL": url,
           "SURVEY_SECURE_COOKIES": "false", "MINI_SECRET": "bench-secret", "MINI_DATABASE_URL": url,
           "MINI_QUESTIONS": json.dumps(questions), "PYTHONPATH": str(ROOT)}
    log = Path(tempfile.gettempdir()) / f"bench_form_{kind}_{port}.log"
    with log.open("w") as fh:
        proc = subprocess.Popen([sys.executable, "-c", SERVE, kind, str(port), str(workers), str(HERE)], cwd=ROOT,
                                env=env, stdout=subprocess.DEVNULL, stderr=fh)
    for _ in range(1800):
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            c.request("GET", "/s/thanks")
            if c.getresponse().status == 200 and len(workers_of(proc.pid)) == workers:
                return proc, port
        except OSError:
            pass
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"{kind} server did not start; its log:\n" + log.read_text()[-3000:])


def workers_of(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def cpu_seconds(pids: list[int]) -> float:
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


def memory_mib(pid: int) -> dict[str, float]:
    rollup = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        key, value = line.split(":", 1)
        rollup[key] = int(value.split()[0]) / 1024
    return {"rss": rollup["Rss"], "pss": rollup["Pss"], "private": rollup["Private_Clean"] + rollup["Private_Dirty"]}


# --- the clients ------------------------------------------------------------------------------

def answers(questions: list, prefix: str, low: bool) -> dict[str, str]:
    form = {}
    for code, kind, choices in questions:
        if kind == "satisfaction5":
            form[prefix + code] = "2" if low and code == "overall" else "4"
        elif kind == "nps10":
            form[prefix + code] = "9"
        elif kind == "text":
            form[prefix + code] = "柜台排队太久 long queue" if low else "很好 good"
        else:
            form[prefix + code] = choices[-1]
    return form


def one_link(conn_box: list, port: int, token: str, form: dict) -> tuple[list[tuple[str, float]], int]:
    """GET, POST, thank-you page for one link; returns timings per kind and the POST status."""
    timings = []

    def call(method, path, body=None, headers=None):
        for attempt in (0, 1):
            if conn_box[0] is None:
                conn_box[0] = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            try:
                t = time.perf_counter()
                conn_box[0].request(method, path, body=body, headers=headers or {})
                r = conn_box[0].getresponse()
                data = r.read()
                timings.append((method if path != "/s/thanks" else "thanks", time.perf_counter() - t))
                return r, data
            except (http.client.HTTPException, OSError):
                conn_box[0].close()
                conn_box[0] = None
                if attempt:
                    raise
        raise AssertionError

    r, page = call("GET", f"/s/{token}")
    if r.status != 200:
        return timings, r.status
    cookie = "; ".join(c.split(";", 1)[0] for k, c in r.getheaders() if k.lower() == "set-cookie")
    found = CSRF.search(page.decode())
    body = urllib.parse.urlencode({**form, "csrf_token": found.group(1) if found else ""})
    r, _ = call("POST", f"/s/{token}", body, {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
    status = r.status
    if status == 302:
        call("GET", "/s/thanks", None, {"Cookie": cookie})
    return timings, status


def run_chunk(args) -> tuple[list, list]:
    port, items, threads = args
    lock, out_t, out_s = threading.Lock(), [], []
    queue = list(reversed(items))

    def loop():
        box = [None]
        while True:
            with lock:
                if not queue:
                    break
                token, form = queue.pop()
            t, status = one_link(box, port, token, form)
            with lock:
                out_t.extend(t)
                out_s.append((token, status))
        if box[0] is not None:
            box[0].close()

    ts = [threading.Thread(target=loop) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return out_t, out_s


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", help="database URL (default: a SQLite file in a temporary folder)")
    ap.add_argument("--reset", action="store_true", help="empty the PostgreSQL database given by --db first")
    ap.add_argument("--links", type=int, default=1000, help="fresh links per app")
    ap.add_argument("--clients", type=int, default=16, help="concurrent clients")
    ap.add_argument("--workers", type=int, default=2, help="gunicorn workers (4 threads each)")
    ap.add_argument("--round", type=int, default=100, help="links per app per alternating round")
    ap.add_argument("--smoke", action="store_true", help="a few seconds: 64 links per app")
    args = ap.parse_args()
    if args.smoke:
        args.links, args.round = 64, 32
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite:///{tmp}/bench.sqlite"
        if url.startswith("postgresql"):
            if not args.reset:
                raise SystemExit("give --reset to empty the PostgreSQL database first")
            reset_postgres(url)
        sys.path.insert(0, str(HERE))
        warm = 2 * args.clients
        tokens, mini_tokens, questions = seed(url, args.links + warm)
        servers = {"survey": start("survey", url, args.workers, questions),
                   "minimal": start("minimal", url, args.workers, questions)}
        loaded = {k: [memory_mib(p) for p in workers_of(proc.pid)] for k, (proc, _port) in servers.items()}
        work = {"survey": [(t, answers(questions, "q_", i % 20 == 7)) for i, t in enumerate(tokens)],
                "minimal": [(t, answers(questions, "", i % 20 == 7)) for i, t in enumerate(mini_tokens)]}
        procs = min(4, args.clients)
        per_proc = args.clients // procs
        stats = {k: {"seconds": 0.0, "cpu": 0.0, "timings": [], "statuses": []} for k in servers}
        submitted = {k: [] for k in servers}
        try:
            with multiprocessing.get_context("fork").Pool(procs) as pool:
                def round_(kind, items, record=True):
                    proc, port = servers[kind]
                    pids = workers_of(proc.pid)
                    cpu0, t0 = cpu_seconds(pids), time.perf_counter()
                    chunks = [(port, items[i::procs], per_proc) for i in range(procs)]
                    results = pool.map(run_chunk, chunks)
                    wall, cpu = time.perf_counter() - t0, cpu_seconds(pids) - cpu0
                    for timings, statuses in results:
                        submitted[kind].extend(t for t, s in statuses if s == 302)
                        if record:
                            stats[kind]["timings"].extend(timings)
                            stats[kind]["statuses"].extend(s for _t, s in statuses)
                    if record:
                        stats[kind]["seconds"] += wall
                        stats[kind]["cpu"] += cpu

                for kind in servers:  # warm-up: every worker thread has its connection and caches
                    round_(kind, work[kind][:warm], record=False)
                for start_at in range(warm, warm + args.links, args.round):
                    for kind in servers:
                        round_(kind, work[kind][start_at:start_at + args.round])
                memory = {k: [memory_mib(p) for p in workers_of(proc.pid)] for k, (proc, _port) in servers.items()}
        finally:
            for proc, _port in servers.values():
                proc.terminate()
                proc.wait(30)
        rows = stored(url, submitted)
    report(args, url, stats, memory, rows, loaded)


def report_memory(loaded: dict[str, list[dict]], after: dict[str, list[dict]]) -> None:
    """Each worker's memory after load (the app loaded, one readiness request served) and after the run."""
    print("worker memory, MiB (RSS counts pages shared with the master; PSS shares them out; private is the worker's own)")
    print(f"{'app':<9}{'worker':>7}{'after load RSS/PSS/private':>29}{'after the run RSS/PSS/private':>32}")
    for kind in loaded:
        for k, (a, b) in enumerate(zip(loaded[kind], after[kind], strict=False)):
            print(f"{kind:<9}{k + 1:>7}{a['rss']:>15.0f}/{a['pss']:.0f}/{a['private']:<6.0f}"
                  f"{b['rss']:>18.0f}/{b['pss']:.0f}/{b['private']:<6.0f}")
    rounded = {when: {kind: [{k: round(v, 1) for k, v in m.items()} for m in ms] for kind, ms in by.items()}
               for when, by in (("memory_after_load", loaded), ("memory_after_run", after))}
    print(json.dumps(rounded))


def report(args, url, stats, memory, rows, loaded) -> None:
    print(f"database {url.split('://')[0]}, {args.clients} concurrent clients, gunicorn {args.workers} workers x 4 "
          f"threads, {args.links} fresh links per app in rounds of {args.round}, interleaved")
    print(f"{'app':<9}{'subm/s':>8}{'ok':>6}{'other':>7}{'GET p50/p99 ms':>17}{'POST p50/p99 ms':>17}"
          f"{'thanks p50/p99':>16}{'CPU ms/subm':>12}{'rows/link':>10}{'lost':>6}{'dup':>5}{'RSS/PSS/private MiB':>21}")
    summary = {}
    for kind, s in stats.items():
        ok = sum(1 for st in s["statuses"] if st == 302)
        per = {k: np.array([d for kk, d in s["timings"] if kk == k]) * 1000 for k in ("GET", "POST", "thanks")}
        pct = {k: (np.percentile(v, 50), np.percentile(v, 99)) if v.size else (float("nan"),) * 2 for k, v in per.items()}
        r = rows[kind]
        summary[kind] = {"rate": ok / s["seconds"], "ok": ok, "other": len(s["statuses"]) - ok,
                         "cpu_ms": 1000 * s["cpu"] / max(ok, 1), "p50": {k: v[0] for k, v in pct.items()},
                         "p99": {k: v[1] for k, v in pct.items()},
                         "rows_per_link": (r["responses"] + r["answers"]) / max(r["responses"], 1),
                         "lost": r["lost"], "duplicated": r["duplicated"], "cases": r["cases"],
                         "rss_mib": max(m["rss"] for m in memory[kind]),
                         "pss_mib": max(m["pss"] for m in memory[kind]),
                         "private_mib": max(m["private"] for m in memory[kind])}
        m = summary[kind]
        print(f"{kind:<9}{m['rate']:>8.1f}{ok:>6}{m['other']:>7}{pct['GET'][0]:>9.1f}/{pct['GET'][1]:<7.0f}"
              f"{pct['POST'][0]:>9.1f}/{pct['POST'][1]:<7.0f}{pct['thanks'][0]:>8.1f}/{pct['thanks'][1]:<7.0f}"
              f"{m['cpu_ms']:>12.1f}{m['rows_per_link']:>10.1f}{m['lost']:>6}{m['duplicated']:>5}"
              f"{m['rss_mib']:>9.0f}/{m['pss_mib']:.0f}/{m['private_mib']:<7.0f}")
    a, b = summary["survey"], summary["minimal"]
    print(f"ratio survey/minimal: {a['rate'] / b['rate']:.2f}x submissions/s, POST p99 {a['p99']['POST'] / b['p99']['POST']:.2f}x, "
          f"CPU {a['cpu_ms'] / b['cpu_ms']:.2f}x; follow-up cases opened by the product: {a['cases']}")
    print("(rows/link: the response and its answers; memory: the largest worker after the run, no chart drawn;"
          " RSS counts the pages shared with the master, PSS shares them out, private is the worker's own)")
    print(json.dumps({"db": url.split("://")[0], "clients": args.clients, "links": args.links, **summary}, default=float))
    report_memory(loaded, memory)
    if a["lost"] or a["duplicated"] or b["lost"] or b["duplicated"] or a["other"] or b["other"]:
        raise SystemExit("responses lost, duplicated or refused")


if __name__ == "__main__":
    main()
