"""Production serving with gunicorn: the app keeps no state in memory, so workers scale out.

The app is loaded once in the master (preload) and warmed there: matplotlib, the translation
catalogues and the interpreter's objects are then shared by the forked workers.
"""

from __future__ import annotations

import gc

from flask import Flask
from gunicorn.app.base import BaseApplication


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
    from survey.services import charts

    charts.warm_up()
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
        "preload_app": preload,
        "timeout": 120,
    }
