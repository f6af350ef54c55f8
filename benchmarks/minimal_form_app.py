"""The baseline for bench_form_http.py: a minimal Flask + Flask-WTF survey form over the same database.

It does the least a correct single-use survey link needs: look the link up by its token hash,
render the questions with a CSRF token, validate the POST with Flask-WTF, claim the link with a
conditional UPDATE (on SQLite under BEGIN IMMEDIATE, taken at the first write), store the response
and its answers (one executemany), redirect to a thank-you page.  No login, no translations,
no follow-up cases.  Its tables (``mini_*``) live beside the product's in the same database.

The questions come as JSON in MINI_QUESTIONS (``[[code, type, [choice, ...]], ...]``), so the form
has the same fields as the product's.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os

from flask import Flask, abort, redirect, url_for
from flask_wtf import FlaskForm
from sqlalchemy import (
    Column,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    event,
    insert,
    select,
    update,
)
from sqlalchemy import create_engine as sa_create_engine
from wtforms import RadioField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

metadata = MetaData()
links = Table("mini_links", metadata, Column("id", Integer, primary_key=True),
              Column("token_hash", String(64), unique=True, nullable=False), Column("used_at", DateTime(timezone=True)))
responses = Table("mini_responses", metadata, Column("id", Integer, primary_key=True),
                  Column("link_id", Integer, ForeignKey("mini_links.id"), unique=True, nullable=False),
                  Column("submitted_at", DateTime(timezone=True), nullable=False))
answers = Table("mini_answers", metadata, Column("id", Integer, primary_key=True),
                Column("response_id", Integer, ForeignKey("mini_responses.id"), nullable=False, index=True),
                Column("code", String(64), nullable=False), Column("value_num", Float), Column("value_text", Text))

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Survey</title></head><body>
<form method="post">{{ form.csrf_token }}
{% for field in form if field.name != 'csrf_token' %}<fieldset><legend>{{ field.label.text }}</legend>
{% if field.type == 'RadioField' %}{% for choice in field %}<label>{{ choice() }} {{ choice.label.text }}</label>{% endfor %}
{% else %}{{ field() }}{% endif %}{% for e in field.errors %}<p>{{ e }}</p>{% endfor %}</fieldset>{% endfor %}
<button type="submit">Submit</button></form></body></html>"""


def make_engine(url: str):
    if not url.startswith("sqlite"):
        return sa_create_engine(url, pool_size=10, max_overflow=20)
    engine = sa_create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _pragmas(conn, _record):
        conn.isolation_level = None
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=30000"):
            conn.execute(f"PRAGMA {pragma}")

    @event.listens_for(engine, "begin")
    def _begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("immediate") else "BEGIN")

    return engine


def form_class(questions: list) -> type[FlaskForm]:
    fields = {}
    for code, kind, choices in questions:
        if kind == "text":
            fields[code] = TextAreaField(code, validators=[Optional(), Length(max=2000)])
        else:
            fields[code] = RadioField(code, choices=[(c, c) for c in choices], validators=[InputRequired()])
    return type("SurveyForm", (FlaskForm,), fields)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_app() -> Flask:
    app = Flask(__name__)
    app.config.update(SECRET_KEY=os.environ["MINI_SECRET"], WTF_CSRF_TIME_LIMIT=None)
    questions = json.loads(os.environ["MINI_QUESTIONS"])
    numeric = {code for code, kind, _c in questions if kind in ("satisfaction5", "nps10")}
    SurveyForm = form_class(questions)
    engine = make_engine(os.environ["MINI_DATABASE_URL"])
    writer = engine.execution_options(immediate=True)
    page = app.jinja_env.from_string(PAGE)  # compiled once, as render_template would

    @app.route("/s/<token>", methods=["GET", "POST"])
    def survey(token: str):
        with engine.connect() as conn:
            link = conn.execute(select(links.c.id, links.c.used_at).where(links.c.token_hash == token_hash(token))).first()
        if link is None or link.used_at is not None:
            abort(404 if link is None else 409)
        form = SurveyForm()
        if form.validate_on_submit():
            now = dt.datetime.now(dt.UTC)
            with writer.begin() as conn:
                if conn.execute(update(links).where(links.c.id == link.id, links.c.used_at.is_(None))
                                .values(used_at=now)).rowcount != 1:
                    abort(409)
                rid = conn.execute(insert(responses).values(link_id=link.id, submitted_at=now)
                                   .returning(responses.c.id)).scalar_one()
                rows = [{"response_id": rid, "code": code,
                         "value_num": float(value) if code in numeric else None,
                         "value_text": None if code in numeric else value}
                        for code, value in form.data.items() if code != "csrf_token" and value]
                conn.execute(insert(answers), rows)
            return redirect(url_for("thanks"))
        return page.render(form=form), (422 if form.errors else 200)

    @app.get("/s/thanks")
    def thanks():
        return "<!doctype html><html lang='en'><title>Thanks</title><p>Thank you.</p></html>"

    return app
