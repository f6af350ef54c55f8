"""A draft's questions: add, edit, delete, move up and down (plain forms, no script needed)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from survey.db import get_session
from survey.models import QUESTION_TYPES
from survey.questionnaire_editor import question_form
from survey.questionnaire_editor.blueprint import bp
from survey.questionnaire_editor.routes import to_draft
from survey.services.questionnaire_editor import drafts as editor


def _other_codes(draft, position: int | None) -> list[str]:
    return [q.get("code") for i, q in enumerate(editor.questions_of(draft))
            if isinstance(q, dict) and i != position and isinstance(q.get("code"), str)]


def _page(draft, position, values, errors=None, checker=None, saved=False, status=200):
    others = _other_codes(draft, position)
    earlier = others if position is None else others[:position]
    return render_template(
        "questionnaire_editor/question.html", draft=draft, position=position, v=values, errors=errors or {},
        checker=checker or [], saved=saved, types=QUESTION_TYPES, operators=question_form.OPERATORS,
        scales=question_form.SCALES, earlier=earlier, option_rows=question_form.blank_rows(values["options"]),
        item_rows=question_form.blank_rows(values["items"]),
    ), status


def _save(draft, position: int | None):
    db = get_session()
    others = set(_other_codes(draft, position))
    fields, errors, values = question_form.read(request.form, lambda code: code in others)
    if errors:
        return _page(draft, position, values, errors=errors, status=422)
    position = editor.save_question(db, draft, current_user, position, fields)
    db.commit()
    checker = editor.problems_of_question(editor.problems(draft.definition), draft.definition, position)
    if checker:  # saved, but the checker (the file loader's) still finds problems in this question
        return _page(draft, position, values, checker=checker, saved=True)
    flash(_("Question '%(q)s' saved.", q=fields["code"]))
    return to_draft(draft.id)


@bp.route("/drafts/<int:draft_id>/questions/new", methods=["GET", "POST"])
def question_new(draft_id: int):
    draft = editor.get_draft(get_session(), draft_id)
    if request.method == "POST":
        return _save(draft, None)
    return _page(draft, None, question_form.values_of({"type": "satisfaction5"}))


@bp.route("/drafts/<int:draft_id>/questions/<int:position>", methods=["GET", "POST"])
def question_edit(draft_id: int, position: int):
    draft = editor.get_draft(get_session(), draft_id)
    questions = editor.questions_of(draft)
    if not 0 <= position < len(questions):
        abort(404)
    if request.method == "POST":
        return _save(draft, position)
    q = questions[position] if isinstance(questions[position], dict) else {}
    checker = editor.problems_of_question(editor.problems(draft.definition), draft.definition, position)
    return _page(draft, position, question_form.values_of(q), checker=checker)


@bp.post("/drafts/<int:draft_id>/questions/<int:position>/delete")
def question_delete(draft_id: int, position: int):
    db = get_session()
    draft = editor.get_draft(db, draft_id)
    editor.delete_question(db, draft, current_user, position)
    db.commit()
    flash(_("Question %(n)s deleted.", n=position + 1))
    return to_draft(draft_id)


@bp.post("/drafts/<int:draft_id>/questions/<int:position>/move")
def question_move(draft_id: int, position: int):
    db = get_session()
    draft = editor.get_draft(db, draft_id)
    step = -1 if request.form.get("direction") == "up" else 1
    editor.move_question(db, draft, current_user, position, step)
    db.commit()
    return redirect(url_for("questionnaire_editor.draft", draft_id=draft_id, _anchor="questions"), code=303)
