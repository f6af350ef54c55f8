"""Simplified Chinese and English: locale choice and catalogues read from .po files.

The catalogues are plain-text ``.po`` files under ``survey/i18n/<locale>/`` (one per area),
compiled in memory on first use, so there is no build step and no binary in the repository.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from flask import Flask, current_app, has_request_context, request, session
from flask_babel import Babel, Domain, get_locale

CATALOGS = Path(__file__).parent / "i18n"


@cache
def catalog(locale: str) -> NullTranslations:
    """All ``.po`` files of ``locale`` merged into one translations object (English: identity)."""
    folder = CATALOGS / locale
    files = sorted(folder.glob("*.po")) if folder.is_dir() else []
    if not files:
        return NullTranslations()
    merged = None
    for po in files:
        with po.open("rb") as fh:
            cat = read_po(fh, locale=locale)
        if merged is None:
            merged = cat
        else:
            for message in cat:
                if message.id:
                    merged[message.id] = message
    buf = io.BytesIO()
    write_mo(buf, merged)
    buf.seek(0)
    return Translations(fp=buf)


class PoDomain(Domain):
    def get_translations(self):
        locale = get_locale()
        if locale is None:
            return NullTranslations()
        return catalog("zh_CN" if locale.language == "zh" else str(locale))


class SurveyBabel(Babel):
    @property
    def domain_instance(self):
        return PoDomain()


def select_locale() -> str:
    if not has_request_context():
        return "en"  # CLI and jobs: lazy messages stay English
    supported = current_app.config["LANGUAGES"]
    chosen = request.args.get("lang") or session.get("lang")
    if chosen in supported:
        return chosen
    best = request.accept_languages.best_match(["zh_CN", "zh", "en"])
    if best in ("zh", "zh_CN"):
        return "zh_CN"
    return best or current_app.config["BABEL_DEFAULT_LOCALE"]


def init_app(app: Flask) -> None:
    SurveyBabel(app, locale_selector=select_locale)

    @app.before_request
    def _remember_language():
        lang = request.args.get("lang")
        if lang in app.config["LANGUAGES"] and not request.path.startswith("/api/"):  # the API sets no cookie
            session["lang"] = lang


def localized(obj, field: str) -> str:
    """``obj.<field>_zh`` or ``obj.<field>_en`` (or dict keys) for the current locale."""
    suffix = "zh" if str(get_locale() or "zh_CN").startswith("zh") else "en"
    if isinstance(obj, dict):
        return obj.get(f"{field}_{suffix}") or obj.get(f"{field}_en") or ""
    return getattr(obj, f"{field}_{suffix}", None) or getattr(obj, f"{field}_en", "")
