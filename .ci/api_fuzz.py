#!/usr/bin/env python3
"""Property-based run of the API: schemathesis, driven by /api/v1/openapi.json, against `survey serve`.

It makes a data folder, builds a small demo (SQLite: `survey demo --no-serve`; PostgreSQL, which
the demo command refuses: `survey init-db` and the demo's own builder), makes an admin API token
with `survey create-api-token`, serves the app with gunicorn on a free port, runs schemathesis with
the token (bounded by --max-examples per operation and a hard time limit), and stops the server.
It fails on any schemathesis failure (a 5xx, an undocumented status, content type or header, a
body off its schema, invalid data accepted, auth ignored) or when fewer than --min-requests API
requests reached the server (counted in gunicorn's access log).

    python .ci/api_fuzz.py                      # SQLite
    python .ci/api_fuzz.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/survey_fuzz
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,"
          "response_headers_conformance,negative_data_rejection,ignored_auth")
BUILD = """
from survey import create_app, migrate
from survey.db import get_engine, session_scope
from survey.services.demo import data
app = create_app()
with app.app_context():
    migrate.upgrade(get_engine())
    with session_scope() as s:
        data.build(s, n_clients={n})
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fresh_schema(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def run(cmd: list[str], env: dict, **kw) -> subprocess.CompletedProcess:
    print("+", " ".join(cmd[:4]), "...", flush=True)
    return subprocess.run(cmd, env=env, check=True, text=True, **kw)


def wait_for(url: str, seconds: float) -> None:
    end = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            if time.monotonic() > end:
                raise
        time.sleep(0.5)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--database-url", default=None, help="PostgreSQL URL (its public schema is replaced)")
    ap.add_argument("--clients", type=int, default=1500, help="demo clients")
    ap.add_argument("--max-examples", type=int, default=40, help="generated cases per operation and phase")
    ap.add_argument("--time-limit", type=int, default=300, help="seconds before schemathesis is stopped")
    ap.add_argument("--min-requests", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=20261201)
    args = ap.parse_args()

    data = Path(tempfile.mkdtemp(prefix="survey-api-fuzz-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("SURVEY_")}
    env.update(SURVEY_DATA_DIR=str(data), SURVEY_API_RATE_LIMIT="0")
    bin_dir = Path(sys.executable).parent
    survey, schemathesis = str(bin_dir / "survey"), str(bin_dir / "schemathesis")
    if args.database_url:
        fresh_schema(args.database_url)
        env.update(SURVEY_DATABASE_URL=args.database_url, SURVEY_ENV_MODE="demo")
        run([sys.executable, "-c", BUILD.format(n=args.clients)], env)
    else:
        run([survey, "demo", "--no-serve", "--clients", str(args.clients)], env, stdout=subprocess.DEVNULL)
    token = run([survey, "create-api-token", "fuzz", "--role", "admin"], env,
                capture_output=True).stdout.strip().splitlines()[-1]
    port = free_port()
    log_path = data / "serve.log"
    with log_path.open("w") as log:
        server = subprocess.Popen([survey, "serve", "--port", str(port), "--workers", "2"], env=env, stdout=log,
                                  stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/api/v1/openapi.json", 60)
        t0 = time.monotonic()
        st = subprocess.run(
            [schemathesis, "--config-file", str(HERE / "schemathesis.toml"), "run", f"{base}/api/v1/openapi.json",
             "-H", f"Authorization: Bearer {token}", "--checks", CHECKS, "--max-examples", str(args.max_examples),
             # one schemathesis worker: with two threads, hypothesis' lambda descriptions parse source
             # concurrently and CPython 3.11's ast raised "AST constructor recursion depth mismatch" (a
             # runtime error in schemathesis, not an API failure) in one CI run
             "--workers", "1", "--phases", "examples,coverage,fuzzing", "--seed", str(args.seed),
             "--continue-on-failure", "--request-timeout", "30", "--no-color"],
            env=env, timeout=args.time_limit, text=True)
        took = time.monotonic() - t0
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
    text = log_path.read_text(errors="replace")
    requests = len(re.findall(r'"[A-Z]+ /api/v1/[^"]*" \d{3} ', text))
    errors = len(re.findall(r'"[A-Z]+ /api/v1/[^"]*" 5\d\d ', text))
    print(f"api-fuzz ({'PostgreSQL' if args.database_url else 'SQLite'}): {requests} API requests served in "
          f"{took:.0f} s, {errors} answered 5xx; schemathesis exit code {st.returncode}")
    if st.returncode != 0 or errors or requests < args.min_requests:
        print(f"api-fuzz: FAILED (server log {log_path})", file=sys.stderr)
        return 1
    shutil.rmtree(data, ignore_errors=True)  # kept only when the run failed, for its server log
    return 0


if __name__ == "__main__":
    sys.exit(main())
