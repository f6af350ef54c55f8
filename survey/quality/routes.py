from flask import render_template

from survey.db import get_session
from survey.quality import bp
from survey.services import waves


@bp.get("/")
def overview():
    db = get_session()
    rows = []
    for wave, invited, responded in waves.list_waves(db):
        rows.append((wave, invited, responded, waves.tier_summary(db, wave)))
    return render_template("quality/overview.html", rows=rows)
