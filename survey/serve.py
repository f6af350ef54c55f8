"""Production serving with gunicorn: the app keeps no state in memory, so workers scale out."""

from __future__ import annotations

from gunicorn.app.base import BaseApplication


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
        "preload_app": preload,
        "timeout": 120,
    }
    GunicornServer(app_factory, options).run()
