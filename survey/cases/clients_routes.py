"""Client search for the complaints desk: number, name or the phone's last four digits; results link to the cases."""

from __future__ import annotations

from flask import render_template, request
from flask_login import current_user

from survey.cases.blueprint import bp
from survey.db import get_session
from survey.security import roles_required
from survey.services import client_search


@bp.get("/clients", endpoint="clients")
@roles_required(*client_search.SEARCH_ROLES)
def search_clients():
    query = request.args.get("q", "")
    results, more = client_search.search(get_session(), query, current_user) if query.strip() else ([], False)
    return render_template("cases/clients.html", query=query, results=results, more=more,
                           searched=bool(query.strip()), limit=client_search.LIMIT)
