"""Preview: a draft or a version through the real form template, in either language, at phone width; it never
stores anything (a post only shows the same answers again, as the language switch does)."""

from __future__ import annotations

from flask import render_template, request, url_for

from survey.db import get_session
from survey.errors import ValidationFailed
from survey.questionnaire_editor.blueprint import bp
from survey.response_headers import CSP
from survey.services import questionnaires
from survey.services.questionnaire_editor import drafts as editor
from survey.services.questionnaire_editor.preview import form_of_definition, preview_wave

PHONE_WIDTH = 375


def _values(questions) -> dict:
    """The posted answers, shown again as they were (never checked, never stored)."""
    out = {}
    for q in questions:
        chosen = request.form.getlist(f"q_{q.code}")
        if chosen:
            out[q.code] = chosen if q.type == "multiple" else chosen[0]
    return out


def _render(form, endpoint: str, **ids):
    interview = request.args.get("mode") == "interview"
    embed = request.args.get("embed") == "1"
    args = {**ids, **({"mode": "interview"} if interview else {})}
    if request.args.get("width") == "phone" and not embed:
        return render_template("questionnaire_editor/preview_phone.html", form=form, width=PHONE_WIDTH,
                               frame_url=url_for(endpoint, embed="1", **args),
                               full_url=url_for(endpoint, **args), interview=interview, endpoint=endpoint, ids=ids)
    action = url_for(endpoint, **({"embed": "1"} if embed else {}), **args)
    response = render_template(
        "questionnaire_editor/preview.html", wave=preview_wave(form), questions=list(form.questions),
        values=_values(form.questions) if request.method == "POST" else {}, problems={}, interview=interview,
        action=action, embed=embed, endpoint=endpoint, ids=ids, mode_args=args)
    if not embed:
        return response
    # the phone view frames this page from the same site; every other page stays unframeable
    return response, 200, {"X-Frame-Options": "SAMEORIGIN",
                           "Content-Security-Policy": CSP.replace("frame-ancestors 'none'", "frame-ancestors 'self'")}


@bp.route("/versions/<int:version_id>/preview", methods=["GET", "POST"])
def version_preview(version_id: int):
    db = get_session()
    qn = editor.get_version(db, version_id)
    return _render(questionnaires.form_of_questionnaire(qn, db), "questionnaire_editor.version_preview",
                   version_id=version_id)


@bp.route("/drafts/<int:draft_id>/preview", methods=["GET", "POST"])
def draft_preview(draft_id: int):
    draft = editor.get_draft(get_session(), draft_id)
    definition = draft.definition
    try:
        checked = questionnaires.validate(definition, source=str(definition.get("code") or "questionnaire"))
    except ValidationFailed as exc:
        return render_template("questionnaire_editor/preview_blocked.html", draft=draft,
                               problems=[str(p) for p in exc.problems] or [str(exc)]), 422
    return _render(form_of_definition(checked, code=checked["code"]), "questionnaire_editor.draft_preview",
                   draft_id=draft_id)
