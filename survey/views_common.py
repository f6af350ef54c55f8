"""What every page shares: template helpers and the front door."""

from __future__ import annotations

from decimal import Decimal

from flask import Flask, g, redirect, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from survey.db import get_session
from survey.form_blocks import answer_only_if, blocks, labels
from survey.i18n import localized
from survey.labels import label
from survey.localtime import DEFAULT_TZ, FORMAT, local_time
from survey.models import Branch
from survey.security import AREA_ROLES, mask_phone
from survey.services.questionnaires import SATISFACTION5
from survey.services.responses import (
    BAD_CHARACTER,
    MAX_TEXT,
    NOT_A_CHOICE,
    NOT_A_NUMBER,
    OUT_OF_RANGE,
    REQUIRED,
    TOO_LONG,
)


def number_hint(q) -> str:
    """What a number question takes, in words."""
    low, high = (format(Decimal(str(v)).normalize(), "f") for v in (q.min, q.max))  # 1000000, never 1e+06
    if q.decimals:
        return _("A number from %(low)s to %(high)s, with up to %(n)s decimal places.", low=low, high=high, n=q.decimals)
    return _("A whole number from %(low)s to %(high)s.", low=low, high=high)


def problem_text(code: str, question=None) -> str:
    """A survey-form problem code as a sentence in the reader's language."""
    if code in (NOT_A_NUMBER, OUT_OF_RANGE) and question is not None:
        return _("Please enter a number as asked: %(hint)s", hint=number_hint(question))
    return {
        REQUIRED: _("Please answer this question."),
        NOT_A_CHOICE: _("Please choose one of the answers offered."),
        TOO_LONG: _("Please shorten your answer to 2,000 characters."),
        BAD_CHARACTER: _("Please remove the control characters from your answer."),
    }.get(code, code)


def user_zone() -> str:
    """The signed-in user's branch time zone (the default zone without a branch): for times tied to no client."""
    if "user_zone" not in g:
        code = getattr(current_user, "branch_code", None) if current_user.is_authenticated else None
        g.user_zone = (get_session().scalar(select(Branch.timezone).where(Branch.code == code)) if code else None) or DEFAULT_TZ
    return g.user_zone


def local_filter(moment, tz: str | None = None, fmt: str = FORMAT, named: bool = True) -> str:
    """``{{ when|local(tz) }}``: a stored time in ``tz`` (default: the user's branch zone), the zone named."""
    return local_time(moment, tz or user_zone(), fmt, named=named)


def home_for(user) -> str:
    if user.role in AREA_ROLES["staff"]:
        return url_for("staff.waves")
    if user.role in AREA_ROLES["quality"]:
        return url_for("quality.overview")
    return url_for("admin.index")


def init_app(app: Flask) -> None:
    # globals, not context: macros imported without context can call them too
    app.jinja_env.globals.update(label=label, localized=localized, mask_phone=mask_phone, problem_text=problem_text, max_text=MAX_TEXT,
                                 form_blocks=blocks, form_labels=labels, answer_only_if=answer_only_if, number_hint=number_hint,
                                 scale5=SATISFACTION5, area_roles=AREA_ROLES, user_zone=user_zone)
    app.jinja_env.filters["local"] = local_filter

    @app.context_processor
    def helpers():
        def lang_url(code: str) -> str:
            # query keys never override the path's own values, nor url_for's options (_external, _scheme...)
            args = {k: v for k, v in request.args.items() if not k.startswith("_")}
            args.update(request.view_args or {}, lang=code)
            return url_for(request.endpoint or "index", **args)

        return {"current_locale": str(get_locale() or "zh_CN"), "lang_url": lang_url}

    @app.get("/")
    def index():
        if current_user.is_authenticated:
            return redirect(home_for(current_user))
        return redirect(url_for("auth.login"))

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}
