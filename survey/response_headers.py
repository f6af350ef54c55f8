"""Security headers on every response: CSP without inline script, no framing, no sniffing, no caching of
staff or token pages, and no Referer leaving a page whose URL holds a token."""

from __future__ import annotations

from flask import Flask, request

# neither scripts nor styles may be inline: the charts are SVG with presentation attributes, not style=
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
# pages whose URL is a secret: a survey link (or its short form in a text message), an opt-out link, a calendar feed
TOKEN_ENDPOINTS = frozenset({"public.survey_form", "public.sms_link", "public.optout", "public.optout_confirm",
                             "public.fieldwork_calendar_feed"})


def init_app(app: Flask) -> None:
    @app.after_request
    def _security_headers(response):
        h = response.headers
        h.setdefault("Content-Security-Policy", CSP)
        h.setdefault("X-Frame-Options", "DENY")
        h["X-Content-Type-Options"] = "nosniff"
        endpoint = request.endpoint or ""
        h["Referrer-Policy"] = "no-referrer" if endpoint in TOKEN_ENDPOINTS else "same-origin"
        if endpoint != "static" and "ETag" not in h:  # an API read sets its own (private, no-cache)
            h["Cache-Control"] = "no-store"
            h.pop("Expires", None)
        return response
