from flask import redirect, render_template, request, url_for
from flask_babel import get_locale

from survey.db import begin_write, get_session
from survey.errors import Conflict
from survey.public.blank import blank_questions
from survey.public.blueprint import bp
from survey.services import invitations, responses


def _closed(status: str):
    code = {"unknown": 404, "used": 409, "expired": 410, "closed": 410}[status]
    return render_template("public/closed.html", status=status), code


@bp.route("/s/<token>", methods=["GET", "POST"])
def survey_form(token: str):
    db = get_session(lock_at_first_write=True)
    state = invitations.lookup(db, token)
    if state.status != "ok":
        return _closed(state.status)
    inv = state.invitation
    questions = inv.wave.questionnaire.questions
    values, problems = {}, {}
    if request.method == "POST":
        values, problems = responses.parse_answers(questions, request.form)
        if "switch_lang" in request.form:  # the language switch: the same answers again, in the other language
            problems = {}
        elif not problems:
            try:
                begin_write(db)
                responses.submit(db, inv, questions, values, mode="web", locale=str(get_locale()),
                                 settings=inv.wave.settings)
                db.commit()
            except Conflict:
                db.rollback()
                return _closed("used")
            return redirect(url_for("public.thanks"))
    locale = str(get_locale())
    blank = blank_questions(inv.wave.questionnaire, questions, locale) if not values and not problems else None
    return render_template(
        "public/form.html", wave=inv.wave, questions=questions, values=values, problems=problems,
        interview=False, action=url_for("public.survey_form", token=token), blank_questions=blank,
    ), (422 if problems else 200)


@bp.get("/s/thanks")
def thanks():
    return render_template("public/thanks.html")
