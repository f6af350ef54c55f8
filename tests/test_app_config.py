import pytest
from sqlalchemy import text

from survey import create_app
from survey.config import ConfigError


def test_production_refuses_to_start_without_secret_key(tmp_path, monkeypatch):
    monkeypatch.delenv("SURVEY_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SURVEY_SECRET_KEY"):
        create_app({"ENV_MODE": "production", "DATA_DIR": str(tmp_path)})


def test_production_starts_with_secret_key_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("SURVEY_SECRET_KEY", "k" * 40)
    app = create_app({"DATA_DIR": str(tmp_path)})
    assert app.config["SECRET_KEY"] == "k" * 40
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_default_database_is_sqlite_file_in_created_data_dir(tmp_path, monkeypatch):
    monkeypatch.delenv("SURVEY_DATABASE_URL", raising=False)
    data = tmp_path / "nested" / "data"
    app = create_app({"ENV_MODE": "development", "DATA_DIR": str(data)})
    assert data.is_dir()
    assert app.config["DATABASE_URL"] == f"sqlite:///{data / 'survey.sqlite'}"
    engine = app.extensions["survey.engine"]
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_environment_selects_database(tmp_path, monkeypatch):
    monkeypatch.setenv("SURVEY_DATABASE_URL", f"sqlite:///{tmp_path / 'other.sqlite'}")
    app = create_app({"ENV_MODE": "development", "DATA_DIR": str(tmp_path)})
    assert app.config["DATABASE_URL"].endswith("other.sqlite")


def test_unknown_mode_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="ENV_MODE"):
        create_app({"ENV_MODE": "prod", "DATA_DIR": str(tmp_path)})
