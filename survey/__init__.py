"""The Flask application: factory, configuration layering and extension set-up."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

from survey.config import DEFAULTS, INSTANCE_CONFIG, data_dir_for, finalize_config

TEMPLATES = next(
    p
    for p in (Path(__file__).parent / "_templates", Path(__file__).parent.parent / "templates")
    if p.is_dir()
)


def create_app(test_config: dict | None = None) -> Flask:
    """Build the application: defaults → the data folder's ``config.py`` → ``SURVEY_*`` environment → test mapping.

    The data folder is the instance folder, so the server and every command read the same file.
    """
    data_dir = data_dir_for(test_config, os.environ)
    app = Flask(__name__, template_folder=str(TEMPLATES), instance_path=str(data_dir), instance_relative_config=True)
    app.config.from_mapping(DEFAULTS)
    app.config["DATA_DIR"] = str(data_dir)
    app.config.from_pyfile(INSTANCE_CONFIG, silent=True)
    app.config.from_prefixed_env("SURVEY")
    if test_config:
        app.config.from_mapping(test_config)
    finalize_config(app.config, environ=os.environ)

    from survey import (
        api,
        db,
        errors,
        i18n,
        request_limits,
        response_headers,
        security,
        string_guard,
        views_common,
    )
    from survey.admin import bp as admin_bp
    from survey.auth import bp as auth_bp
    from survey.cases import bp as cases_bp
    from survey.commands import register_all
    from survey.hooks import bp as hooks_bp
    from survey.public import bp as public_bp
    from survey.quality import bp as quality_bp
    from survey.questionnaire_editor import bp as questionnaire_editor_bp
    from survey.staff import bp as staff_bp

    string_guard.install()  # NUL / over-long text refused at flush, alike on both databases
    db.init_app(app)
    request_limits.init_app(app)  # before CSRF: an oversized body is refused unread
    security.init_app(app)
    response_headers.init_app(app)
    i18n.init_app(app)
    errors.init_app(app)
    views_common.init_app(app)
    for bp in (public_bp, auth_bp, staff_bp, quality_bp, admin_bp, cases_bp, hooks_bp, questionnaire_editor_bp):
        app.register_blueprint(bp)
    api.init_app(app)
    register_all(app.cli)
    return app
