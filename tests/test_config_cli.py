"""One configuration for the server and the CLI: both read the data folder's config.py and the
``SURVEY_*`` environment, share the secret key kept in the data folder, and a command on a
database without the schema stops with one line naming ``survey init-db``.

The commands run through the real ``survey`` group (``survey.cli.cli``) with only
``SURVEY_DATA_DIR`` (and a mode) set, as a user runs them.
"""

from __future__ import annotations

import re
import stat
from email import message_from_bytes, policy
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from survey import create_app
from survey.cli import cli
from survey.models import StaffUser


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """An empty working directory and a data folder inside it (not created); nothing else in the environment."""
    for name in ("SURVEY_DATABASE_URL", "SURVEY_SECRET_KEY", "SURVEY_ENV_MODE", "SURVEY_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    data = tmp_path / "data"
    monkeypatch.setenv("SURVEY_DATA_DIR", str(data))
    return data


def survey(*args: str, input: str | None = None):
    return CliRunner().invoke(cli, list(args), input=input, prog_name="survey")


def test_help_creates_nothing(folder):
    for args in (["--help"], ["plan", "--help"], ["demo", "--help"], ["serve", "--help"], ["init-db", "--help"]):
        result = survey(*args)
        assert result.exit_code == 0, result.output
        assert "Usage: survey" in result.output
    top = survey("--help").output
    assert "init-db" in top and "send-invitations" in top  # the commands are listed without building the app
    assert list(folder.parent.iterdir()) == [], "--help left files behind"


def test_command_on_a_missing_database_says_run_init_db_and_creates_no_file(folder, monkeypatch):
    monkeypatch.setenv("SURVEY_ENV_MODE", "development")
    result = survey("plan", "2026-Q4")
    assert result.exit_code != 0
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "survey init-db" in lines[0], result.output
    assert "Traceback" not in result.output
    assert not (folder / "survey.sqlite").exists()


def test_command_on_a_database_without_schema_says_run_init_db(folder, monkeypatch):
    monkeypatch.setenv("SURVEY_ENV_MODE", "development")
    folder.mkdir()
    (folder / "config.py").write_text(f"DATABASE_URL = 'sqlite:///{folder / 'empty.sqlite'}'\n")
    import sqlite3

    sqlite3.connect(folder / "empty.sqlite").close()  # a file with no tables
    for args in (["plan", "2026-Q4"], ["report", "2026-Q4"], ["serve", "--port", "1"]):
        result = survey(*args)
        assert result.exit_code != 0, args
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and "has no schema" in lines[0] and "survey init-db" in lines[0], result.output


def test_cli_and_server_read_the_same_database_from_the_data_folder_config(folder, monkeypatch):
    monkeypatch.setenv("SURVEY_ENV_MODE", "development")
    folder.mkdir()
    db_file = folder / "bank.sqlite"
    (folder / "config.py").write_text(f"DATABASE_URL = {f'sqlite:///{db_file}'!r}\n")
    assert survey("init-db").exit_code == 0
    result = survey("create-user", "wang", "--role", "supervisor", input="pw-123456789\npw-123456789\n")
    assert result.exit_code == 0, result.output
    app = create_app()  # what `survey serve` (and any WSGI server) builds
    assert app.config["DATABASE_URL"] == f"sqlite:///{db_file}"
    with app.app_context():
        session = app.extensions["survey.sessionmaker"]()
        assert session.scalar(select(StaffUser.username).where(StaffUser.username == "wang")) == "wang"
        session.close()
    assert not (folder / "survey.sqlite").exists()
    # the environment still wins over the file
    monkeypatch.setenv("SURVEY_DATABASE_URL", f"sqlite:///{folder / 'other.sqlite'}")
    assert create_app().config["DATABASE_URL"].endswith("other.sqlite")


def test_secret_key_is_made_once_and_kept_in_the_data_folder(folder, monkeypatch):
    monkeypatch.setenv("SURVEY_ENV_MODE", "development")
    first = create_app().config["SECRET_KEY"]
    key_file = folder / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert key_file.read_text().strip() == first and len(first) == 64
    assert create_app().config["SECRET_KEY"] == first
    # production generates none, but uses the kept one
    monkeypatch.setenv("SURVEY_ENV_MODE", "production")
    assert create_app().config["SECRET_KEY"] == first
    key_file.unlink()
    result = survey("plan", "2026-Q4")
    assert result.exit_code != 0 and "SURVEY_SECRET_KEY" in result.output and "Traceback" not in result.output
    assert not key_file.exists()


def test_demo_settings_reach_every_command_and_a_cli_opt_out_link_works_on_the_server(folder):
    result = survey("demo", "--no-serve", "--clients", "400")
    assert result.exit_code == 0, result.output
    assert (folder / "demo.sqlite").exists() and not (folder / "survey.sqlite").exists()
    sent = survey("send-invitations", "2026-Q4")
    assert sent.exit_code == 0, sent.output
    mails = sorted((folder / "outbox").glob("*.eml"))
    assert mails, sent.output
    body = message_from_bytes(mails[0].read_bytes(), policy=policy.default).get_body(("plain",)).get_content()
    optout = re.search(r"https?://\S+/optout/\S+", body).group(0)
    server = create_app().test_client()  # a server process: same data folder, nothing else set
    page = server.get(urlsplit(optout).path)
    assert page.status_code == 200, page.status_code
    assert server.get(urlsplit(optout).path + "x").status_code == 404  # the check can fail


def test_demo_never_replaces_a_config_it_did_not_write(folder):
    folder.mkdir()
    (folder / "config.py").write_text("DATABASE_URL = 'postgresql://bank/db'\n")
    result = survey("demo", "--no-serve", "--clients", "50")
    assert result.exit_code != 0 and "another SURVEY_DATA_DIR" in result.output
    assert (folder / "config.py").read_text() == "DATABASE_URL = 'postgresql://bank/db'\n"
    assert not Path(folder / "demo.sqlite").exists()
