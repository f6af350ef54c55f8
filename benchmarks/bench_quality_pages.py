"""Quality pages on a big client file against the 20,000-client demo: p50/p95 per page.

The big database: clients imported by the product's own ``import_clients`` from a generated CSV
(2,000,000 by default), then 20 waves of 10,000 invited clients (equal allocation over the tiers)
of whom about half answer, so 5,000 responses per wave, generated like the demo's answers and
written in bulk with a draw record (frame counts) per wave.  The demo database is the one
``survey demo`` builds.  Each page is requested through the app (the Flask test client, a quality
analyst logged in) after one warm-up request; the first chart of the process is in the warm-up.

    python benchmarks/bench_quality_pages.py                     # 2,000,000 clients on SQLite
    python benchmarks/bench_quality_pages.py --clients 200000 --db postgresql+psycopg://...  --reset
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

PAGES = {"overview": "/quality/", "trends": "/quality/trends", "rates": "/quality/response",
         "scorecards": "/quality/scorecards"}
PASSWORD = "quality-pages-probe-7"  # the policy refuses passwords holding the user name
TIER_MEAN = {"private": 4.45, "diamond": 4.25, "platinum": 4.05, "gold": 3.85, "standard": 3.7}


def app_for(url: str):
    from survey import create_app

    return create_app({"ENV_MODE": "testing", "SECRET_KEY": "bench", "DATABASE_URL": url, "WTF_CSRF_ENABLED": False})


def reset(url: str) -> None:
    if url.startswith("postgresql"):
        from bench_form_http import reset_postgres

        reset_postgres(url)


def make_csv(path: Path, rows: int, managers: int, seed: int = 1) -> None:
    """Clients in the import's CSV format, spread over the demo's three branches and ``managers`` managers."""
    import csv

    rng = np.random.default_rng(seed)
    contribution = np.round(np.exp(rng.normal(10, 2.2, rows)), 2)
    manager = rng.integers(0, managers, rows)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["client_no", "name", "phone", "email", "branch", "manager_code", "manager_name", "contribution"])
        for i in range(rows):
            m = int(manager[i])
            w.writerow([f"C{i:08d}", f"客户{i}", f"139{i:08d}", "", ("BJ01", "SH01", "GZ01")[m % 3],
                        f"RM{m + 1:03d}", f"客户经理{m + 1:02d}", f"{contribution[i]:.2f}"])


def build_big(url: str, n_clients: int, n_waves: int, invited: int, managers: int, tmp: Path, seed: int = 7) -> float:
    """The big database; returns the seconds it took."""
    from sqlalchemy import insert, select

    from survey import migrate
    from survey.db import get_engine, session_scope
    from survey.models import Answer, Client, Draw, Invitation, Response
    from survey.services import questionnaires, tiers, users, waves
    from survey.services.client_import import import_clients
    from survey.services.demo import data as demo_data
    from survey.services.demo import followup as demo_followup

    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    csv_path = tmp / "clients.csv"
    make_csv(csv_path, n_clients, managers)
    app = app_for(url)
    with app.app_context():
        migrate.upgrade(get_engine())
        with session_scope() as s:
            tiers.ensure_default_scheme(s)
            questionnaires.ensure_default(s)
            users.create_user(s, "bench", PASSWORD, "quality", actor="bench")
            for username, role, display, code, branch in demo_data.STAFF:  # the follow-up cases' owners
                users.create_user(s, username, f"staff-probe-{len(username)}7x", role, display_name=display,
                                  employee_code=code, branch_code=branch, actor="bench")
        with session_scope() as s:
            import_clients(s, csv_path, actor="bench")
        print(f"  {n_clients:,} clients imported at {time.perf_counter() - t0:.0f} s", flush=True)
        with session_scope() as s:
            ids, tier_of = zip(*s.execute(select(Client.id, Client.tier_code)).all(), strict=True)
        ids, tier_of = np.array(ids), np.array(tier_of, dtype=object)
        codes = sorted(set(tier_of.tolist()))
        members = {t: ids[tier_of == t] for t in codes}
        start = dt.date(2021, 1, 1)
        for w in range(n_waves):
            with session_scope() as s:
                period = start + dt.timedelta(days=92 * w)
                wave = waves.create_wave(s, name=f"W{w + 1:02d}", period_start=period,
                                         period_end=period + dt.timedelta(days=90), actor="bench")
                questions = waves.questions_of(wave)
                current = w == n_waves - 1  # the last wave is still in the field: some cases open
                wave.status = "in_field" if current else "closed"
                per_tier = invited // len(codes)
                s.add(Draw(wave_id=wave.id, seed=str(w), algorithm="bench", numpy_version=np.__version__,
                           frame_counts={t: int(members[t].size) for t in codes}, exclusions={},
                           allocation={t: min(per_tier, int(members[t].size)) for t in codes}))
                s.flush()
                opened = dt.datetime.combine(period, dt.time(9), tzinfo=dt.UTC)
                inv_rows, answered = [], []
                for t in codes:
                    chosen = rng.choice(members[t], size=min(per_tier, members[t].size), replace=False)
                    p = chosen.size / members[t].size
                    for rank, cid in enumerate(chosen.tolist()):
                        u = rng.random()
                        yes, still_open = (u < 0.35, u >= 0.7) if current else (u < 0.5, False)
                        inv_rows.append(dict(wave_id=wave.id, client_id=cid, kind="sample", tier_code=t, mode="web",
                                             release_rank=rank, inclusion_prob=p,
                                             status="open" if still_open else "done",
                                             disposition=None if still_open else "1.1" if yes else "2.11",
                                             used_at=opened if yes else None,
                                             attempts=0, reminders_sent=0))
                s.execute(insert(Invitation), inv_rows)
                invs = s.execute(select(Invitation.id, Invitation.client_id, Invitation.tier_code)
                                 .where(Invitation.wave_id == wave.id, Invitation.disposition == "1.1")).all()
                s.execute(insert(Response), [dict(invitation_id=i, wave_id=wave.id, client_id=c, mode="web",
                                                  status="complete", locale="zh_CN", started_at=opened,
                                                  submitted_at=opened) for i, c, _t in invs])
                resp = dict(s.execute(select(Response.invitation_id, Response.id).where(Response.wave_id == wave.id)).all())
                answered = []
                for inv_id, _c, t in invs:
                    latent = TIER_MEAN.get(t, 3.8) + rng.normal(0, 0.75)
                    for q in questions:
                        if q.type == "satisfaction5":
                            v = float(np.clip(np.rint(latent + (0 if q.is_overall else rng.normal(0, 0.55))), 1, 5))
                            answered.append(dict(response_id=resp[inv_id], question_id=q.id, value_num=v, value_text=None))
                        elif q.type == "nps10":
                            v = float(np.clip(np.rint((latent - 1) * 2.5 + rng.normal(0.5, 1.3)), 0, 10))
                            answered.append(dict(response_id=resp[inv_id], question_id=q.id, value_num=v, value_text=None))
                        elif q.type == "single":
                            answered.append(dict(response_id=resp[inv_id], question_id=q.id, value_num=None, value_text="no"))
                s.execute(insert(Answer.__table__), answered)
            print(f"  wave {w + 1}/{n_waves}: {len(inv_rows):,} invited, {len(invs):,} responses "
                  f"at {time.perf_counter() - t0:.0f} s", flush=True)
        with session_scope() as s:  # follow-up cases from the latest waves' low scores, as the demo opens them
            demo_followup.build(s, rng)
        get_engine().dispose()
    return time.perf_counter() - t0


def build_demo(url: str, n_clients: int) -> float:
    from survey import migrate
    from survey.db import get_engine, session_scope
    from survey.services import users
    from survey.services.demo import data as demo_data

    t0 = time.perf_counter()
    app = app_for(url)
    with app.app_context():
        migrate.upgrade(get_engine())
        with session_scope() as s:
            demo_data.build(s, n_clients=n_clients)
            users.create_user(s, "bench", PASSWORD, "quality", actor="bench")
        get_engine().dispose()
    return time.perf_counter() - t0


def _respond_once(app) -> bool:
    """One new response to an open case of the wave in the field, through ``responses.submit``."""
    from sqlalchemy import select

    from survey.db import session_scope
    from survey.models import Invitation, Wave
    from survey.services import responses, waves

    with app.app_context(), session_scope() as s:
        inv = s.scalars(select(Invitation).join(Wave, Wave.id == Invitation.wave_id)
                        .where(Wave.status == "in_field", Invitation.kind == "sample", Invitation.used_at.is_(None),
                               Invitation.status == "open").order_by(Invitation.id).limit(1)).first()
        if inv is None:
            return False
        questions = waves.questions_of(inv.wave)
        values = {q.code: (4.0 if q.type == "satisfaction5" else 8.0) for q in questions
                  if q.type in ("satisfaction5", "nps10")}
        responses.submit(s, inv, questions, values, mode="web", locale="zh_CN")
    return True


def measure(urls: dict[str, str], repeats: int, changes: int = 5) -> dict[str, dict[str, float]]:
    """p50/p95 ms per page and database, after one warm-up request each (the schema brought up to date
    first).  The databases' requests are interleaved, so both see the same load on a shared machine.
    Then ``changes`` times: one response is submitted to each database's wave in the field and every
    page is timed once more (median and maximum of those views)."""
    from survey import migrate
    from survey.db import get_engine

    clients, apps = {}, {}
    for kind, url in urls.items():
        app = apps[kind] = app_for(url)
        with app.app_context():
            migrate.upgrade(get_engine())
        clients[kind] = app.test_client()
        assert clients[kind].post("/login", data={"username": "bench", "password": PASSWORD}).status_code == 302

    def timed(kind: str, path: str) -> float:
        t = time.perf_counter()
        r = clients[kind].get(path + "?lang=en")
        assert r.status_code == 200, (kind, path, r.status_code)
        return (time.perf_counter() - t) * 1000

    # the warm-up computes the figures (nothing remembered yet)
    first = {(k, name): timed(k, path) for name, path in PAGES.items() for k in urls}
    times = {key: [] for key in first}
    for _ in range(repeats):
        for name, path in PAGES.items():
            for kind in urls:
                times[(kind, name)].append(timed(kind, path))
    after = {key: [] for key in first}
    for _ in range(changes):  # a response arrives, then every page is viewed once
        answered = {kind: _respond_once(app) for kind, app in apps.items()}
        for name, path in PAGES.items():
            for k in urls:
                after[(k, name)].append(timed(k, path) if answered[k] else float("nan"))
    out = {kind: {name: {"first": first[(kind, name)], "after_response": float(np.median(after[(kind, name)])),
                         "after_response_max": float(np.max(after[(kind, name)])),
                         "p50": float(np.percentile(times[(kind, name)], 50)),
                         "p95": float(np.percentile(times[(kind, name)], 95))} for name in PAGES} for kind in urls}
    for app in apps.values():
        app.extensions["survey.engine"].dispose()
    return out


def counts(url: str) -> dict[str, int]:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        out = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar()
               for t in ("clients", "waves", "responses", "answers")}
    engine.dispose()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, default=2_000_000)
    ap.add_argument("--waves", type=int, default=20)
    ap.add_argument("--invited", type=int, default=10_000, help="invited per wave (about half answer)")
    ap.add_argument("--demo-clients", type=int, default=20_000)
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--changes", type=int, default=5, help="responses submitted, each followed by one view of every page")
    ap.add_argument("--db", help="database URL for the big database (default: SQLite in a temporary folder)")
    ap.add_argument("--demo-db", help="database URL for the demo (default: SQLite in a temporary folder)")
    ap.add_argument("--reset", action="store_true", help="empty the PostgreSQL databases given first")
    ap.add_argument("--reuse", action="store_true", help="measure the databases given by --db and --demo-db as they are")
    ap.add_argument("--managers", type=int, default=12, help="relationship managers in the big client file (the demo has 12)")
    ap.add_argument("--only", choices=("big", "demo"), help="build and measure one of the two (one database at a time)")
    ap.add_argument("--smoke", action="store_true", help="20,000 clients, 3 waves of 400, 2,000-client demo")
    args = ap.parse_args()
    if args.smoke:
        args.clients, args.waves, args.invited, args.demo_clients, args.repeats, args.changes = 20_000, 3, 400, 2_000, 3, 2
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        big = args.db or f"sqlite:///{tmp}/big.sqlite"
        demo = args.demo_db or f"sqlite:///{tmp}/demo.sqlite"
        kinds = [args.only] if args.only else ["big", "demo"]
        urls = {"big": big, "demo": demo}
        built = {"big": 0.0, "demo": 0.0}
        if not args.reuse:
            for kind in kinds:
                if urls[kind].startswith("postgresql") and not args.reset:
                    raise SystemExit("give --reset to empty the PostgreSQL databases first")
                reset(urls[kind])
            if "big" in kinds:
                print(f"building the big database ({args.clients:,} clients, {args.waves} waves of {args.invited:,} invited)")
                built["big"] = build_big(big, args.clients, args.waves, args.invited, args.managers, tmp)
            if "demo" in kinds:
                built["demo"] = build_demo(demo, args.demo_clients)
        before = os.getloadavg()
        results = measure({kind: urls[kind] for kind in kinds}, args.repeats, args.changes)
        load = (before, os.getloadavg())
        sizes = {kind: counts(urls[kind]) for kind in kinds}
    print(f"database {urls[kinds[0]].split('://')[0]}; built in " + ", ".join(f"{built[k]:.0f} s ({k})" for k in kinds)
          + f"; {args.repeats} requests per page after a warm-up")
    for key in kinds:
        c = sizes[key]
        print(f"  {key}: {c['clients']:,} clients, {c['waves']} waves, {c['responses']:,} responses, {c['answers']:,} answers")
    print(f"load average {' '.join(f'{x:.1f}' for x in load[0])} before, {' '.join(f'{x:.1f}' for x in load[1])} after"
          f" ({os.cpu_count()} cores); requests to the databases interleaved")
    print("ms; 'first': the warm-up request, which computes the figures (nothing remembered yet); "
          f"'new'/'new max': median/maximum of the views right after a response reached the wave in the field "
          f"({args.changes} responses); p50/p95 of the repeated views")
    print(f"{'page':<12}" + "".join(f"{k + ' first':>12}{k + ' new':>10}{k + ' new max':>13}{k + ' p50':>10}{k + ' p95':>10}"
                                    for k in kinds) + (f"{'p95 big/demo':>14}" if len(kinds) == 2 else ""))
    for name in PAGES:
        line = f"{name:<12}" + "".join(f"{results[k][name]['first']:>12.0f}{results[k][name]['after_response']:>10.0f}"
                                       f"{results[k][name]['after_response_max']:>13.0f}"
                                       f"{results[k][name]['p50']:>10.0f}{results[k][name]['p95']:>10.0f}" for k in kinds)
        if len(kinds) == 2:
            line += f"{results['big'][name]['p95'] / results['demo'][name]['p95']:>14.2f}"
        print(line)
    print(json.dumps({"db": urls[kinds[0]].split("://")[0], "sizes": sizes, "load": load, **results}))


if __name__ == "__main__":
    main()
