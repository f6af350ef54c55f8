"""What a request may be: its body size per route, its numeric URL parts, and whose proxy headers count."""

from __future__ import annotations

from flask import Flask, abort, request
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

# endpoints that take a file upload: they get the full MAX_CONTENT_LENGTH, every other route FORM_MAX_BYTES
UPLOAD_ENDPOINTS = frozenset({"admin.import_clients"})
BIGINT_MAX = 2**63 - 1


class IdConverter(IntegerConverter):
    """``<int:…>`` in ASCII digits only and within the database's 64-bit range; anything else is a 404."""

    regex = r"[0-9]{1,19}"

    def __init__(self, map, fixed_digits=0, min=None, max=BIGINT_MAX, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def body_limit(endpoint: str | None, config) -> int:
    if endpoint == "api.clients_batch":
        return config["API_BATCH_MAX_BYTES"]
    return config["MAX_CONTENT_LENGTH"] if endpoint in UPLOAD_ENDPOINTS else config["FORM_MAX_BYTES"]


def init_app(app: Flask) -> None:
    """Call before CSRF is set up, so that an oversized body is refused before anything reads it."""
    app.url_map.converters["int"] = IdConverter
    if app.config["PROXY_COUNT"]:
        n = int(app.config["PROXY_COUNT"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)

    @app.before_request
    def _refuse_big_bodies():
        limit = body_limit(request.endpoint, app.config)
        if request.content_length is not None and request.content_length > limit:
            abort(413)
        # a body without a length (chunked) is cut off while it is read
        request.max_content_length = limit
