"""Client import: ``survey import-clients`` against a plain sqlite3 executemany of the same rows.

Each contender runs in its own process on a fresh SQLite file, so peak memory (ru_maxrss) is its own.

    python benchmarks/bench_import.py --rows 1000000
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def make_csv(path: Path, rows: int, seed: int = 1) -> None:
    rng = np.random.default_rng(seed)
    contribution = np.round(np.exp(rng.normal(10, 2.2, rows)), 2)
    phones = rng.integers(0, 10**9, rows)
    branch = rng.integers(0, 40, rows)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["client_no", "name", "phone", "email", "branch", "manager_code", "manager_name", "contribution"])
        for i in range(rows):
            w.writerow([f"C{i:08d}", f"客户{i}", f"139{phones[i]:08d}"[:11], f"c{i}@example.com" if i % 3 == 0 else "",
                        f"B{branch[i]:03d}", f"RM{i % 400:04d}", f"经理{i % 400}", f"{contribution[i]:.2f}"])


SURVEY = """
import sys, time
from survey import create_app
from survey.db import session_scope
from survey.services.client_import import import_clients
app = create_app({"ENV_MODE": "testing", "SECRET_KEY": "x", "DATABASE_URL": "sqlite:///" + sys.argv[2]})
with app.app_context():
    t = time.perf_counter()
    with session_scope() as s:
        r = import_clients(s, sys.argv[1], actor="bench")
    print(time.perf_counter() - t, r.rows, [l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0])
"""

RAW = """
import csv, sqlite3, sys, time
t = time.perf_counter()
con = sqlite3.connect(sys.argv[2])
con.execute("PRAGMA journal_mode=WAL"); con.execute("PRAGMA synchronous=NORMAL")
with open(sys.argv[1], encoding="utf-8", newline="") as fh:
    r = csv.reader(fh); next(r)
    rows = ((no, name, phone or None, email or None, b, m, mn, int(round(float(c) * 100)), "standard", 0, 0, "2026-01-01")
            for no, name, phone, email, b, m, mn, c in r)
    con.executemany("INSERT INTO clients (client_no, name, phone, email, branch_code, manager_code, manager_name,"
                    " contribution, tier_code, opted_out, account_closed, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", rows)
con.commit()
n = con.execute("SELECT count(*) FROM clients").fetchone()[0]
print(time.perf_counter() - t, n, [l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0])
"""


def migrated(db_path: Path) -> Path:
    """An empty database with the product's schema, made here so neither contender pays for it."""
    sys.path.insert(0, str(ROOT))
    from survey import migrate
    from survey.db import make_engine

    engine = make_engine(f"sqlite:///{db_path}")
    migrate.upgrade(engine)
    engine.dispose()
    return db_path


def run(code: str, csv_path: Path, db_path: Path) -> tuple[float, int, float]:
    """Seconds, rows in the table, and the process's own peak resident memory in MiB (VmHWM:
    ru_maxrss would carry this parent's high-water mark over the fork).

    The raw contender imports only csv and sqlite3; the product's process also carries the
    application (Flask, SQLAlchemy, numpy ...), which is part of what it costs.
    """
    out = subprocess.run([sys.executable, "-c", code, str(csv_path), str(db_path)], cwd=ROOT,
                         check=True, capture_output=True, text=True).stdout.split()
    return float(out[0]), int(out[1]), int(out[2]) / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--smoke", action="store_true", help="a 2,000-row run that only shows it works")
    args = ap.parse_args()
    if args.smoke:
        args.rows = 2000
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        csv_path = tmp / "clients.csv"
        t = time.perf_counter()
        make_csv(csv_path, args.rows)
        print(f"made {args.rows:,} rows ({csv_path.stat().st_size / 2**20:.0f} MiB) in {time.perf_counter() - t:.1f} s")
        raw_s, raw_n, raw_mb = run(RAW, csv_path, migrated(tmp / "raw.sqlite"))
        ours_s, ours_n, ours_mb = run(SURVEY, csv_path, migrated(tmp / "ours.sqlite"))
        assert raw_n == ours_n == args.rows, (raw_n, ours_n)
        print(f"{'contender':<42}{'seconds':>10}{'rows/s':>12}{'peak MiB':>10}")
        print(f"{'plain sqlite3 executemany (no checks)':<42}{raw_s:>10.1f}{raw_n / raw_s:>12,.0f}{raw_mb:>10.0f}")
        print(f"{'survey import-clients (validate + upsert)':<42}{ours_s:>10.1f}{ours_n / ours_s:>12,.0f}{ours_mb:>10.0f}")
        print(f"ratio survey/raw: {ours_s / raw_s:.2f}x time")
        print(json.dumps({"rows": args.rows, "raw_s": raw_s, "survey_s": ours_s, "raw_mib": raw_mb, "survey_mib": ours_mb}))


if __name__ == "__main__":
    main()
