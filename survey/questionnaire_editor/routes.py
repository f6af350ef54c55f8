"""The editor's list, drafts (title, intro, publishing), files in and out, and the diff of two versions."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from survey.db import get_session
from survey.errors import Conflict, ValidationFailed
from survey.form_values import ascii_int
from survey.models import Wave
from survey.questionnaire_editor.blueprint import bp
from survey.services.questionnaire_editor import diff, files, publishing
from survey.services.questionnaire_editor import drafts as editor

LANGS = ("zh", "en")


def to_draft(draft_id: int):
    return redirect(url_for("questionnaire_editor.draft", draft_id=draft_id), code=303)


@bp.get("/")
def index():
    db = get_session()
    in_use = dict(db.execute(select(Wave.questionnaire_id, func.count(Wave.id)).group_by(Wave.questionnaire_id)).all())
    return render_template("questionnaire_editor/index.html", versions=editor.versions(db), drafts=editor.drafts(db),
                           in_use=in_use)


def _start_draft(version):
    """A new draft, blank or from a published version (which stays as it is)."""
    db = get_session()
    draft = editor.new_draft(db, current_user, from_version=version)
    db.commit()
    flash(_("Draft started.") if version is None else
          _("Draft started from %(code)s version %(v)s; the published version stays as it is.",
            code=version.code, v=version.version))
    return to_draft(draft.id)


@bp.post("/drafts/new")
def draft_new():
    source = ascii_int(request.form.get("from_version"))
    return _start_draft(editor.get_version(get_session(), source) if source is not None else None)


@bp.post("/versions/<int:version_id>/edit")
def version_edit(version_id: int):
    """A published version never changes: editing it starts a new draft from a copy."""
    return _start_draft(editor.get_version(get_session(), version_id))


def _text(label, lang: str) -> str:
    """One language of a label, or "" when an imported file holds something else there."""
    value = label.get(lang) if isinstance(label, dict) else None
    return value if isinstance(value, str) else ""


def _draft_page(draft, *, meta=None, meta_errors=None, publish_problems=None, status=200):
    definition = draft.definition
    meta = meta or {"code": str(definition.get("code") or ""),
                    **{f"{f}_{k}": _text(definition.get(f), k) for f in ("title", "intro") for k in LANGS}}
    problems = publishing.missing_translations(definition)
    problems += [p for p in editor.problems(definition) if p not in problems]
    return render_template("questionnaire_editor/draft.html", draft=draft, questions=editor.questions_of(draft),
                           meta=meta, meta_errors=meta_errors or {}, problems=problems,
                           publish_problems=publish_problems or []), status


@bp.get("/drafts/<int:draft_id>")
def draft(draft_id: int):
    return _draft_page(editor.get_draft(get_session(), draft_id))


@bp.post("/drafts/<int:draft_id>/meta")
def draft_meta(draft_id: int):
    db = get_session()
    draft = editor.get_draft(db, draft_id)
    meta = {k: request.form.get(k, "").strip()
            for k in ("code", *(f"{f}_{lang}" for f in ("title", "intro") for lang in LANGS))}
    errors = {}
    if not meta["code"]:
        errors["code"] = _("Questionnaire: field 'code' is required.")
    elif len(meta["code"]) > 64:
        errors["code"] = _("Questionnaire: field 'code' is longer than 64 characters.")
    if errors:
        return _draft_page(draft, meta=meta, meta_errors=errors, status=422)
    editor.set_meta(db, draft, current_user, code=meta["code"],
                    title={k: meta[f"title_{k}"] for k in LANGS}, intro={k: meta[f"intro_{k}"] for k in LANGS})
    db.commit()
    flash(_("Title and introduction saved."))
    return to_draft(draft_id)


@bp.post("/drafts/<int:draft_id>/publish")
def draft_publish(draft_id: int):
    db = get_session()
    draft = editor.get_draft(db, draft_id)
    try:
        qn = publishing.publish(db, draft, current_user)
        db.commit()
    except ValidationFailed as exc:
        db.rollback()
        return _draft_page(editor.get_draft(db, draft_id), publish_problems=[str(p) for p in exc.problems]
                           or [str(exc)], status=422)
    except Conflict as exc:
        db.rollback()
        return _draft_page(editor.get_draft(db, draft_id), publish_problems=[str(exc)], status=409)
    flash(_("Published as %(code)s version %(v)s.", code=qn.code, v=qn.version))
    return redirect(url_for("questionnaire_editor.index"), code=303)


@bp.post("/drafts/<int:draft_id>/discard")
def draft_discard(draft_id: int):
    db = get_session()
    editor.discard(db, editor.get_draft(db, draft_id), current_user)
    db.commit()
    flash(_("Draft discarded."))
    return redirect(url_for("questionnaire_editor.index"), code=303)


@bp.route("/import", methods=["GET", "POST"])
def import_file():
    """A YAML/JSON questionnaire file as a new draft, or published at once when it passes every check."""
    db = get_session()
    error, problems = None, []
    if request.method == "POST":
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            error = _("Choose a YAML or JSON file.")
        else:
            try:
                data = files.read_upload(upload.read(), upload.filename)
                draft = editor.new_draft(db, current_user, definition=data, source=upload.filename)
                if request.form.get("publish"):
                    qn = publishing.publish(db, draft, current_user)
                    db.commit()
                    flash(_("%(file)s published as %(code)s version %(v)s.", file=upload.filename, code=qn.code,
                            v=qn.version))
                    return redirect(url_for("questionnaire_editor.index"), code=303)
                db.commit()
                flash(_("%(file)s imported as a draft.", file=upload.filename))
                return to_draft(draft.id)
            except (ValidationFailed, Conflict) as exc:
                db.rollback()
                error, problems = str(exc), [str(p) for p in getattr(exc, "problems", [])]
    return render_template("questionnaire_editor/import.html", error=error, problems=problems), (
        422 if error else 200)


@bp.get("/versions/<int:version_id>/export")
def version_export(version_id: int):
    qn = editor.get_version(get_session(), version_id)
    fmt = "json" if request.args.get("fmt") == "json" else "yaml"
    body = files.export_text(qn, fmt)
    name = f"{qn.code}-v{qn.version}.{fmt}"
    return Response(body, mimetype="application/json" if fmt == "json" else "application/x-yaml",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/diff")
def version_diff():
    db = get_session()
    versions = editor.versions(db)
    a_id, b_id = ascii_int(request.args.get("a")), ascii_int(request.args.get("b"))
    old = editor.get_version(db, a_id) if a_id is not None else None
    new = editor.get_version(db, b_id) if b_id is not None else None
    changes = diff.compare(old.definition, new.definition) if old is not None and new is not None else None
    return render_template("questionnaire_editor/diff.html", versions=versions, old=old, new=new, changes=changes)
