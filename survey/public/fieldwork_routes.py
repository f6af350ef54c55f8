"""Public fieldwork addresses: opting out from a message's link, and an interviewer's calendar feed."""

from flask import Response, abort, current_app, render_template

from survey.db import get_session
from survey.public.blueprint import bp
from survey.services.fieldwork import calendar, optout


def _client(db, token: str):
    cfg = current_app.config
    return optout.client_for_token(db, cfg["SECRET_KEY"], token, ttl_days=int(cfg["OPTOUT_TTL_DAYS"]))


@bp.get("/optout/<token>", endpoint="optout")
def optout_page(token: str):
    client = _client(get_session(), token)
    if client is None:
        abort(404)
    return render_template("public/optout.html", done=client.opted_out)


@bp.post("/optout/<token>", endpoint="optout_confirm")
def optout_confirm(token: str):
    db = get_session()
    client = _client(db, token)
    if client is None:
        abort(404)
    optout.opt_out(db, client, via="email_link")
    db.commit()
    return render_template("public/optout_done.html")


@bp.get("/cal/<token>.ics", endpoint="fieldwork_calendar_feed")
def calendar_feed(token: str):
    db = get_session()
    user = calendar.user_for_token(db, token)
    if user is None:
        abort(404)
    text = calendar.feed(db, user, base_url=current_app.config["PUBLIC_BASE_URL"])
    return Response(text, mimetype="text/calendar", headers={"Cache-Control": "private, no-store"})
