"""A blank survey form's questions, rendered once per questionnaire version and language.

A published questionnaire version never changes, and a blank form's questions hold nothing of the client,
the link or the request (the token, the CSRF field and the language buttons are outside them), so every
fresh link of a version shows the same HTML.  It is kept with the version (``FormQuestionnaire.rendered``)
and pasted into ``public/form.html``; a form with answers or problems is rendered in full as before.
"""

from __future__ import annotations

from flask import render_template
from markupsafe import Markup

from survey.form_blocks import blocks, labels
from survey.services.questionnaires import FormQuestionnaire


def blank_questions(qn: FormQuestionnaire, questions, locale: str) -> Markup:
    """The questions of a blank form of ``qn`` in ``locale``, as ``public/_questions.html`` renders them."""
    lang = "zh" if locale.startswith("zh") else "en"
    html = qn.rendered.get(("blank", lang))
    if html is None:
        layout = blocks(questions, qn.definition)
        html = Markup(render_template("public/_questions.html", questions=questions, form_layout=layout,
                                      question_texts=labels(layout, lang)[1], values={}, problems={},
                                      lang=lang, interview=False))
        qn.rendered.setdefault(("blank", lang), html)  # two threads may render it; both give the same HTML
    return html
