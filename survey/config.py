"""Configuration defaults and the checks run once when the app is built."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, MutableMapping
from pathlib import Path

DEMO_SECRET = "demo-only-not-secret"

DEFAULTS: dict = {
    # "production" refuses to start without SURVEY_SECRET_KEY; "development"/"demo" do not.
    "ENV_MODE": "production",
    "SECRET_KEY": None,
    "DATABASE_URL": None,
    "DATA_DIR": None,
    "SQLITE_FILENAME": "survey.sqlite",
    "TOKEN_TTL_DAYS": 30,
    "BABEL_DEFAULT_LOCALE": "zh_CN",
    "LANGUAGES": ("zh_CN", "en"),
    "WTF_CSRF_TIME_LIMIT": None,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "MAX_CONTENT_LENGTH": 512 * 1024 * 1024,
    "OUTBOX_DIR": None,
    "SMTP_HOST": None,
    "SMTP_PORT": 25,
    "SMTP_USER": None,
    "SMTP_PASSWORD": None,
    "SMTP_FROM": "survey@bank.example",
    "PUBLIC_BASE_URL": "http://127.0.0.1:5000",
    # cookies only over HTTPS; None means "in production mode" (set SURVEY_SECURE_COOKIES=false behind plain HTTP)
    "SECURE_COOKIES": None,
}


class ConfigError(RuntimeError):
    """The configuration cannot serve: raised at start-up, never at request time."""


def default_data_dir(environ: Mapping[str, str]) -> Path:
    """Where the embedded database lives when nothing says otherwise."""
    return Path(environ.get("SURVEY_DATA_DIR") or Path.cwd() / "survey-data")


def finalize_config(config: MutableMapping, environ: Mapping[str, str]) -> None:
    """Fill derived settings and refuse configurations that must not start."""
    mode = config["ENV_MODE"]
    if mode not in {"production", "development", "demo", "testing"}:
        raise ConfigError(f"SURVEY_ENV_MODE must be production, development, demo or testing, not {mode!r}")
    if not config.get("SECRET_KEY"):
        if mode == "production":
            raise ConfigError(
                "SURVEY_SECRET_KEY is required in production mode; "
                "set it to a long random string (python -c 'import secrets; print(secrets.token_hex(32))')"
            )
        config["SECRET_KEY"] = DEMO_SECRET if mode == "demo" else secrets.token_hex(32)
    data_dir = Path(config["DATA_DIR"] or default_data_dir(environ))
    config["DATA_DIR"] = str(data_dir)
    if not config.get("DATABASE_URL"):
        data_dir.mkdir(parents=True, exist_ok=True)
        config["DATABASE_URL"] = f"sqlite:///{data_dir / config['SQLITE_FILENAME']}"
    if not config.get("OUTBOX_DIR"):
        config["OUTBOX_DIR"] = str(data_dir / "outbox")
    secure = config.get("SECURE_COOKIES")
    secure = mode == "production" if secure is None else str(secure).lower() not in ("0", "false", "no")
    config["SESSION_COOKIE_SECURE"] = config["REMEMBER_COOKIE_SECURE"] = secure
