"""The runtime-only check (issue 10, items 5 and 6): run by .ci/runtime-check inside a fresh venv made
with ``pip install .`` and nothing else, so it uses only the standard library and the ``survey``
command.  Only SURVEY_DATA_DIR is set.  It fails (exit 1) on any command that exits non-zero, on
any 5xx from a staff page fetched as each role, and when the answered outbox link is missing from
the export.  A lifecycle command that this version does not have is reported as MISSING and fails
the check at the end, after everything that can run has run.
"""

from __future__ import annotations

import hashlib
import http.cookiejar
import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from email import message_from_bytes, policy
from html.parser import HTMLParser
from pathlib import Path

DATA = Path(os.environ["SURVEY_DATA_DIR"])
WORK = DATA.parent / "runtime-out"
ROLES = ("admin", "supervisor", "quality", "interviewer1", "branchhead")
PER_PATTERN = 3     # pages fetched per URL shape (digits replaced) and role, to keep the walk short
MAX_PAGES = 400     # per role
failures: list[str] = []
missing: list[str] = []


PASSWORDS: dict[str, str] = {}  # the demo's staff log-ins, as `survey demo` prints them (random per build)


def demo_passwords(output: str) -> dict[str, str]:
    """The "user  password" lines that follow "sign in as one of these" in the demo's output."""
    found, inside = {}, False
    for line in output.splitlines():
        if "sign in as one of these" in line:
            inside = True
        elif inside and line.startswith("  ") and len(line.split()) == 2:
            user, pw = line.split()
            found[user] = pw
        elif inside and found:
            break
    return found


def step(title: str) -> None:
    print(f"-- {title}", flush=True)


def survey(*args: str, ok_codes=(0,), quiet: bool = False) -> subprocess.CompletedProcess:
    t0 = time.perf_counter()
    proc = subprocess.run(["survey", *args], capture_output=True, text=True, cwd=WORK)
    took = time.perf_counter() - t0
    last = (proc.stdout.strip().splitlines() or [""])[-1][:150]
    print(f"   $ survey {' '.join(args)}  -> exit {proc.returncode} ({took:.1f} s) {'' if quiet else last}", flush=True)
    if proc.returncode not in ok_codes:
        failures.append(f"survey {' '.join(args)} exited {proc.returncode}: {(proc.stderr or proc.stdout)[-800:]}")
    return proc


def has_command(name: str) -> bool:
    found = subprocess.run(["survey", name, "--help"], capture_output=True, text=True, cwd=WORK).returncode == 0
    if not found:
        missing.append(name)
        print(f"   MISSING: `survey {name}` does not exist in this version", flush=True)
    return found


class Page(HTMLParser):
    """Links, inputs and forms of one HTML page."""

    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.inputs: list[dict] = []
        self.forms: list[dict] = []

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag in ("input", "textarea", "select"):
            self.inputs.append({"tag": tag, **a})
        elif tag == "form":
            self.forms.append(a)


def parse(html: str) -> Page:
    p = Page()
    p.feed(html)
    return p


class Browser:
    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def open(self, path: str, data: dict | list | None = None) -> tuple[int, str, str]:
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        try:
            with self.opener.open(urllib.parse.urljoin(self.base, path), data=body, timeout=60) as r:
                kind = r.headers.get("Content-Type", "")
                text = r.read().decode("utf-8", "replace") if "html" in kind else ""
                return r.status, r.geturl(), text
        except urllib.error.HTTPError as e:
            return e.code, path, e.read().decode("utf-8", "replace")

    def csrf(self, page: Page) -> str:
        return next((i.get("value", "") for i in page.inputs if i.get("name") == "csrf_token"), "")

    def login(self, user: str) -> bool:
        status, _url, html = self.open("/login")
        status, url, html = self.open("/login", {"username": user, "password": PASSWORDS.get(user, ""),
                                                 "csrf_token": self.csrf(parse(html))})
        return status == 200 and not urllib.parse.urlsplit(url).path.startswith("/login")


def shape(path: str) -> str:
    split = urllib.parse.urlsplit(path)
    query = "&".join(sorted(k for k, _ in urllib.parse.parse_qsl(split.query)))
    return re.sub(r"\d+", "N", split.path) + "?" + query


def walk(base: str, user: str) -> dict[int, int]:
    """Log in as ``user`` and fetch every page reachable by links from the home page; count statuses."""
    b = Browser(base)
    t0 = time.perf_counter()
    if not b.login(user):
        failures.append(f"{user} could not log in through /login")
        return {}
    seen, per_shape, statuses = set(), {}, {}
    queue = ["/"]
    while queue and len(seen) < MAX_PAGES:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        status, _url, html = b.open(path)
        statuses[status] = statuses.get(status, 0) + 1
        if status >= 500:
            failures.append(f"{user}: GET {path} answered {status}")
        for href in parse(html).links:
            href = urllib.parse.urljoin(path, href.split("#")[0])
            split = urllib.parse.urlsplit(href)
            if split.netloc and split.netloc != urllib.parse.urlsplit(base).netloc:
                continue
            local = split.path + ("?" + split.query if split.query else "")
            if not split.path.startswith("/") or "logout" in split.path or local in seen:
                continue
            if split.path.startswith(("/s/", "/optout/", "/static/")):
                continue
            key = shape(local)
            if per_shape.get(key, 0) >= PER_PATTERN:
                continue
            per_shape[key] = per_shape.get(key, 0) + 1
            queue.append(local)
    print(f"   {user}: {len(seen)} pages in {time.perf_counter() - t0:.0f} s, statuses {dict(sorted(statuses.items()))}",
          flush=True)
    return statuses


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(base: str, proc: subprocess.Popen) -> None:
    for _ in range(120):
        if proc.poll() is not None:
            raise SystemExit(f"survey serve stopped: exit {proc.returncode}")
        try:
            urllib.request.urlopen(base + "/login", timeout=2).close()
            return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("survey serve did not answer within 60 s")


def db_rows(query: str, *args):
    db = re.search(r"sqlite:///(\S+?)['\"]", (DATA / "config.py").read_text()).group(1)
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return conn.execute(query, args).fetchall()


def answer_link(base: str, link: str) -> int:
    """Answer one survey link over HTTP as a client would: the first option of every question."""
    path = urllib.parse.urlsplit(link).path
    b = Browser(base)
    status, _url, html = b.open(path)
    if status != 200:
        failures.append(f"outbox link {path} answered {status} before the client answered it")
        return 0
    page = parse(html)
    form: dict[str, list[str]] = {}
    for i in page.inputs:
        name = i.get("name")
        if not name:
            continue
        if i.get("type") in ("radio", "checkbox"):
            form.setdefault(name, [i.get("value", "")]) if i.get("type") == "radio" else None
        elif i.get("type") == "hidden":
            form[name] = [i.get("value", "")]
    status, url, _html = b.open(path, [(k, v) for k, vs in form.items() for v in vs])
    print(f"   answered {path[:12]}…: {status} at {urllib.parse.urlsplit(url).path}", flush=True)
    if status != 200 or "thanks" not in url:
        failures.append(f"answering {path} gave {status} at {url}")
    token = path.rsplit("/", 1)[-1]
    found = db_rows("select id from invitations where token_hash = ?", hashlib.sha256(token.encode()).hexdigest())
    return int(found[0][0]) if found else 0


def outbox_link(since: float) -> str | None:
    for eml in sorted((DATA / "outbox").glob("*.eml")):
        if eml.stat().st_mtime < since:
            continue
        body = message_from_bytes(eml.read_bytes(), policy=policy.default).get_body(("plain",)).get_content()
        found = re.search(r"https?://\S+/s/[A-Za-z0-9_-]+", body)
        if found:
            return found.group(0)
    return None


def in_sav(path: Path, invitation_id: int) -> bool:
    import pyreadstat  # part of the plain install (the SPSS export needs it)

    frame, _meta = pyreadstat.read_sav(str(path))
    return invitation_id in set(frame["invitation_id"].astype(int))


def main() -> int:
    t0 = time.perf_counter()
    WORK.mkdir(parents=True, exist_ok=True)
    step("demo")
    PASSWORDS.update(demo_passwords(survey("demo", "--no-serve", quiet=True).stdout))
    if not PASSWORDS:
        failures.append("survey demo printed no staff log-ins")
    waves = [r[0] for r in db_rows("select name from waves order by period_start")]
    print(f"   waves: {waves}")
    step("every export format and the report, for the last closed wave and the wave in field")
    for wave in waves[-2:]:
        for fmt in ("csv", "xlsx", "sav"):
            survey("export", wave, "--format", fmt, "--out", str(WORK / f"{wave}.{fmt}"))
        survey("report", wave, "--out", str(WORK / f"report-{wave}.html"))

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    step(f"survey serve on {base}")
    server = subprocess.Popen(["survey", "serve", "--port", str(port), "--workers", "2"], cwd=WORK,
                              stdout=subprocess.DEVNULL, stderr=open(WORK / "serve.log", "w"))
    try:
        wait_up(base, server)
        step("every staff page as each role")
        for user in ROLES:
            walk(base, user)

        step("a quarter from the command line (issue 10, must-show 1)")
        wave = "2027-Q1"
        if has_command("create-wave"):
            survey("create-wave", wave, "--from", "2026-Q4")
            survey("plan", wave)
            drawn = survey("draw", wave, "--seed", "7", ok_codes=(0, 1))
            if drawn.returncode != 0:
                if "--confirm" in drawn.stdout + drawn.stderr:  # the plan asks for a confirmation
                    print(f"   the plan asks for a confirmation: {drawn.stderr.strip()[:200]}")
                    survey("draw", wave, "--seed", "7", "--confirm")
                else:
                    failures.append(f"survey draw {wave} --seed 7 exited {drawn.returncode}: {drawn.stderr[-800:]}")
        else:
            wave = "2026-Q4"
            print(f"   create-wave missing: the rest of the quarter runs on the wave in field, {wave}")
        if has_command("open-fieldwork") and wave == "2027-Q1":
            survey("open-fieldwork", wave)
        since = time.time() - 1
        survey("send-invitations", wave)
        link = outbox_link(since)
        invitation = 0
        if link is None:
            failures.append(f"send-invitations {wave} left no message with a survey link in the outbox")
        else:
            invitation = answer_link(base, link)
        if has_command("close-fieldwork"):
            survey("close-fieldwork", wave)
        sav = WORK / f"quarter-{wave}.sav"
        survey("export", wave, "--format", "sav", "--out", str(sav))
        survey("report", wave, "--out", str(WORK / f"quarter-{wave}.html"))
        if invitation and sav.exists() and not in_sav(sav, invitation):
            failures.append(f"the answered invitation {invitation} is not in the export {sav}")
        elif invitation:
            print(f"   the answered invitation {invitation} is in {sav.name}")
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"runtime check: {time.perf_counter() - t0:.0f} s, {len(failures)} failure(s), missing commands: {missing or 'none'}")
    for f in failures:
        print(f"FAIL: {f}")
    for name in missing:
        print(f"FAIL: `survey {name}` is missing (issue 10, must-show 1)")
    return 1 if failures or missing else 0


if __name__ == "__main__":
    sys.exit(main())
