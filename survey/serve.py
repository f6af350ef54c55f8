"""Production serving with gunicorn: the app keeps no state in memory, so workers scale out.

The app is loaded once in the master (preload) and warmed there: the translation catalogues and the
interpreter's objects are then shared by the forked workers.  Libraries only staff pages need (scipy for the
estimates) are not loaded there: each worker loads them on its first such page, so a worker that serves
survey forms only stays small.
"""

from __future__ import annotations

import functools
import gc
import re

from flask import Flask
from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger

# addresses whose path is a secret (survey link and its short form, opt-out link, calendar feed): logged as the route
SECRET_PATHS = (
    (re.compile(r"^/s/(?!thanks(?![^/?\s]))[^/?\s]+"), "/s/<token>"),
    (re.compile(r"^/m/[^/?\s]+"), "/m/<code>"),
    (re.compile(r"^/optout/[^/?\s]+"), "/optout/<token>"),
    (re.compile(r"^/cal/[^/?\s]+\.ics"), "/cal/<token>.ics"),
)


def redact(target: str) -> str:
    """A request path (or request line, or full URL) with any token replaced by its route's placeholder."""
    def one(path: str) -> str:
        for pattern, route in SECRET_PATHS:
            path = pattern.sub(route, path)
        return path

    method, sep, rest = target.partition(" ")
    if sep and method.isupper():  # a request line: "GET /s/abc HTTP/1.1"
        return f"{method} {redact(rest)}"
    m = re.match(r"^(https?://[^/]+)(/.*)?$", target)
    if m:
        return m.group(1) + one(m.group(2) or "")
    return one(target)


ATOM = re.compile(r"%\(([^)]+)\)s")


class RedactingLogger(Logger):
    """Gunicorn's access log, with tokens in paths and referrers replaced by the route.

    Only the atoms the log format names are kept (and redacted): a request's ~60 header and environ atoms
    would otherwise each be searched for tokens and escaped on every request.
    """

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        used = named_atoms(self.cfg.access_log_format)
        # the request line, path, referrer, and any environ/header atom (RAW_URI, PATH_INFO...) the format names
        return {k: redact(v) if isinstance(v, str) else v for k, v in atoms.items() if k in used}


@functools.lru_cache(maxsize=8)
def named_atoms(fmt: str) -> frozenset[str]:
    """The atoms an access-log format names (header and environ atoms lower-cased, as gunicorn keys them)."""
    return frozenset(k.lower() if k.startswith("{") else k for k in ATOM.findall(fmt))


class GunicornServer(BaseApplication):
    def __init__(self, app_factory, options: dict, *, warm: bool = True):
        self.app_factory = app_factory
        self.options = options
        self.warm = warm
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            if value is not None and key in self.cfg.settings:
                self.cfg.set(key, value)

    def load(self):
        app = self.app_factory()
        if self.warm and self.cfg.preload_app:
            warm_master(app)
        return app


def warm_master(app: Flask) -> None:
    """What every worker would otherwise load on its own: done once, before the fork."""
    from survey.i18n import catalog

    for lang in app.config["LANGUAGES"]:
        catalog("zh_CN" if lang.startswith("zh") else lang)
    app.extensions["survey.engine"].dispose()  # no connection crosses the fork
    gc.freeze()  # the objects loaded so far stay out of the collector, so workers do not copy their pages


def run(app_factory, *, host: str, port: int, workers: int, threads: int = 4, preload: bool = True) -> None:
    GunicornServer(app_factory, options(host=host, port=port, workers=workers, threads=threads, preload=preload)).run()


def options(*, host: str, port: int, workers: int, threads: int = 4, preload: bool = True) -> dict:
    """The gunicorn settings ``survey serve`` uses."""
    return {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread",
        "accesslog": "-",
        "logger_class": RedactingLogger,
        "preload_app": preload,
        "timeout": 120,
    }
