"""The short link in a text message: ``/m/<code>`` opens the survey link it stands for."""

from flask import current_app, redirect, render_template, url_for

from survey.db import get_session
from survey.public.blueprint import bp
from survey.services.sms import links


@bp.get("/m/<code>", endpoint="sms_link")
def sms_link(code: str):
    token = links.survey_token(get_session(), code, current_app.config["SECRET_KEY"])
    if token is None:
        return render_template("public/closed.html", status="unknown"), 404
    return redirect(url_for("public.survey_form", token=token), code=303)
