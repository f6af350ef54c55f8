"""Both languages on the demo: for each demo role, every GET page linked from the main navigation, and
the first level of links on each of those pages, renders 200 in zh_CN and in en (no 500s anywhere).

Downloads (``download`` links, CSV/XLSX/SAV/ICS files, ``format=`` variants) and POST-only endpoints
are skipped; the language links are left out because the walk sets the language itself.  To keep the
walk within seconds, at most ``PER_ENDPOINT`` distinct URLs of one endpoint are opened per role and
language (e.g. three case pages, not sixty).
"""

from __future__ import annotations

import re
from collections import defaultdict
from html import unescape
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from werkzeug.exceptions import MethodNotAllowed, NotFound

from tests.test_demo_support import build_demo

ROLES = ("admin", "supervisor", "quality", "interviewer1", "interviewer2", "branchhead")
LANGS = ("zh_CN", "en")
PER_ENDPOINT = 3
DOWNLOAD = re.compile(r"\.(csv|xlsx|sav|ics)$|/export/")
HTML_LANG = {"zh_CN": '<html lang="zh-CN">', "en": '<html lang="en">'}


@pytest.fixture(scope="module")
def demo(database_url, tmp_path_factory):
    yield from build_demo(database_url, tmp_path_factory)


def links(html: str) -> list[str]:
    """Same-host GET links of a page (``<a href>``), downloads and language switches left out."""
    out = []
    for tag in re.findall(r"<a\s[^>]*>", html):
        m = re.search(r'href="([^"]*)"', tag)
        if not m or re.search(r"\sdownload[\s>=]", tag):
            continue
        href = unescape(m.group(1))
        parts = urlsplit(href)
        if parts.scheme or parts.netloc or not parts.path.startswith("/") or DOWNLOAD.search(parts.path):
            continue
        query = [(k, v) for k, v in parse_qsl(parts.query) if k != "lang"]
        if any(k == "format" for k, _ in query):
            continue
        out.append(parts.path + (f"?{urlencode(query)}" if query else ""))
    return out


def nav_links(html: str) -> list[str]:
    nav = re.search(r"<nav\s[^>]*>(.*?)</nav>", html, re.S)
    assert nav, "no main navigation"
    return links(nav.group(1))


def walk(demo, role: str, lang: str) -> tuple[dict[str, int], list[str]]:
    """GET the nav pages and their first-level links; returns {url: status} and the problems."""
    c = demo.client(role, lang)
    urls = demo.app.url_map.bind("localhost")
    home = c.get("/", follow_redirects=True)
    assert home.status_code == 200
    seen: dict[str, int] = {}
    problems: list[str] = []
    per_endpoint: dict[str, int] = defaultdict(int)

    def visit(url: str) -> str | None:
        if url in seen:
            return None
        try:
            endpoint, _args = urls.match(urlsplit(url).path, method="GET")
        except MethodNotAllowed:
            return None  # POST-only
        except NotFound:
            seen[url] = 404
            problems.append(f"{role}/{lang}: {url} is linked but has no route")
            return None
        if endpoint in ("auth.logout", "static") or per_endpoint[endpoint] >= PER_ENDPOINT:
            return None
        per_endpoint[endpoint] += 1
        r = c.get(url, follow_redirects=True)
        seen[url] = r.status_code
        page = r.get_data(as_text=True)
        if r.status_code != 200:
            problems.append(f"{role}/{lang}: GET {url} -> {r.status_code}")
            return None
        if r.mimetype == "text/html":
            if "/login" in r.request.path:
                problems.append(f"{role}/{lang}: GET {url} -> sent to the sign-in page")
            elif HTML_LANG[lang] not in page:
                problems.append(f"{role}/{lang}: GET {url} is not in {lang}")
            return page
        return None

    top = nav_links(home.get_data(as_text=True))
    assert top, f"{role} has an empty navigation"
    pages = [(u, visit(u)) for u in top]
    for _url, page in pages:
        for link in links(page or ""):
            visit(link)
    return seen, problems


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("role", ROLES)
def test_every_page_reachable_from_the_nav_renders_in_both_languages(demo, role, lang):
    seen, problems = walk(demo, role, lang)
    assert not problems, "\n".join(problems)
    assert len(seen) >= 3 and set(seen.values()) == {200}


def test_the_walk_reaches_each_roles_main_areas(demo):
    reached = {role: set(walk(demo, role, "en")[0]) for role in ("supervisor", "quality", "interviewer1", "admin")}
    assert {"/staff/fieldwork/", "/cases/board", "/cases/reports"} <= reached["supervisor"]
    assert any(u.startswith("/staff/fieldwork/waves/") for u in reached["supervisor"])
    assert any(u.startswith("/staff/waves/") for u in reached["supervisor"])
    assert {"/quality/trends", "/quality/response"} <= {urlsplit(u).path for u in reached["quality"]}
    assert any(u.startswith("/staff/fieldwork/cases/") for u in reached["interviewer1"])
    assert any(u.startswith("/admin/") for u in reached["admin"])
