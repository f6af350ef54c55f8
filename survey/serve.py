"""Production serving with gunicorn: the app keeps no state in memory, so workers scale out."""

from __future__ import annotations

import re

from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger

# addresses whose path is a secret (survey link, opt-out link, calendar feed): logged as the route
SECRET_PATHS = (
    (re.compile(r"^/s/(?!thanks(?![^/?\s]))[^/?\s]+"), "/s/<token>"),
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


class RedactingLogger(Logger):
    """Gunicorn's access log, with tokens in paths and referrers replaced by the route."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        # the request line, path, referrer, and any environ/header atom (RAW_URI, PATH_INFO...)
        return {k: redact(v) if isinstance(v, str) else v for k, v in atoms.items()}


class GunicornServer(BaseApplication):
    def __init__(self, app_factory, options: dict):
        self.app_factory = app_factory
        self.options = options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            if value is not None and key in self.cfg.settings:
                self.cfg.set(key, value)

    def load(self):
        return self.app_factory()


def run(app_factory, *, host: str, port: int, workers: int, threads: int = 4, preload: bool = True) -> None:
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread",
        "accesslog": "-",
        "logger_class": RedactingLogger,
        "preload_app": preload,
        "timeout": 120,
    }
    GunicornServer(app_factory, options).run()
