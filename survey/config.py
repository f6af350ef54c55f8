"""Configuration defaults, the data folder's instance config and secret key, and the checks run once
when the app is built.

Every entry point (``survey serve``, every other ``survey`` command, the demo, a WSGI server
importing ``create_app``) reads the same layers, later ones winning:

1. ``DEFAULTS`` below;
2. the instance config file ``config.py`` in the data folder (``SURVEY_DATA_DIR``, default
   ``./survey-data``): Python assignments such as ``DATABASE_URL = "..."``;
3. ``SURVEY_*`` environment variables (``SURVEY_DATABASE_URL`` sets ``DATABASE_URL``);
4. the mapping a test passes to ``create_app``.

When no secret key is set, the one kept in ``<data folder>/secret_key`` is used; outside
production mode it is generated there once (mode 0600) if missing.  Production mode never
generates one: it needs ``SURVEY_SECRET_KEY`` (the same on every machine), ``SECRET_KEY`` in
the config file, or a ``secret_key`` file put in the data folder.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping, MutableMapping
from pathlib import Path

INSTANCE_CONFIG = "config.py"
SECRET_KEY_FILE = "secret_key"
MODES = ("production", "development", "demo", "testing")

DEFAULTS: dict = {
    # "production" refuses to start without a secret key; the other modes keep one in the data folder.
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
    # log-in throttle: failures per account / per client address within the window
    "LOGIN_MAX_FAILURES": 5,
    "LOGIN_MAX_FAILURES_PER_ADDRESS": 30,
    "LOGIN_THROTTLE_MINUTES": 15,
    # reverse proxies in front of the app whose X-Forwarded-For/-Proto/-Host are trusted (0: none)
    "PROXY_COUNT": 0,
    # request bodies: forms get a small limit, the client-file upload the full MAX_CONTENT_LENGTH
    "FORM_MAX_BYTES": 256 * 1024,
    # a branch head sees only their own branch's clients, cases, comments and exports unless this is on
    "BRANCH_HEAD_SEES_ALL": False,
    # how long the opt-out link in a message keeps working
    "OPTOUT_TTL_DAYS": 90,
    # API calls per token within a fixed window, counted in the database (shared by every worker); 0: no limit
    "API_RATE_LIMIT": 600,
    "API_RATE_WINDOW_SECONDS": 60,
    # the largest JSON body of an API client batch (other API calls get FORM_MAX_BYTES)
    "API_BATCH_MAX_BYTES": 4 * 1024 * 1024,
    # the SMS gateway (docs/sms.md): without SMS_URL, text messages go to SMS_OUTBOX_DIR (<OUTBOX_DIR>/sms)
    "SMS_URL": None,
    "SMS_USER": None,
    "SMS_KEY": None,
    "SMS_TOKEN": None,
    "SMS_SENDER": None,
    "SMS_TIMEOUT": 10,
    "SMS_OUTBOX_DIR": None,
    # the shared secret that signs the gateway's calls to /hooks/sms/*; unset: the webhooks refuse every call
    "SMS_WEBHOOK_SECRET": None,
}


class ConfigError(RuntimeError):
    """The configuration cannot serve: raised at start-up, never at request time."""


def default_data_dir(environ: Mapping[str, str]) -> Path:
    """Where the embedded database lives when nothing says otherwise."""
    return Path(environ.get("SURVEY_DATA_DIR") or Path.cwd() / "survey-data").absolute()


def data_dir_for(overrides: Mapping | None, environ: Mapping[str, str]) -> Path:
    """The data folder: a test mapping's ``DATA_DIR``, else ``SURVEY_DATA_DIR``, else ``./survey-data``."""
    given = (overrides or {}).get("DATA_DIR")
    return Path(given).absolute() if given else default_data_dir(environ)


def kept_secret_key(data_dir: Path, *, create: bool) -> str | None:
    """The secret key kept in ``data_dir``; made once (mode 0600) when ``create`` and missing."""
    path = data_dir / SECRET_KEY_FILE
    if path.is_file():
        return path.read_text(encoding="ascii").strip() or None
    if not create:
        return None
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key + "\n")
    return key


def finalize_config(config: MutableMapping, environ: Mapping[str, str]) -> None:
    """Fill derived settings and refuse configurations that must not start."""
    mode = config["ENV_MODE"]
    if mode not in MODES:
        raise ConfigError(f"SURVEY_ENV_MODE must be production, development, demo or testing, not {mode!r}")
    data_dir = Path(config["DATA_DIR"] or default_data_dir(environ)).absolute()
    config["DATA_DIR"] = str(data_dir)
    if not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = kept_secret_key(data_dir, create=mode != "production")
        if not config["SECRET_KEY"]:
            raise ConfigError(
                "a secret key is required in production mode: set SURVEY_SECRET_KEY (the same on every machine), "
                f"or keep one in {data_dir / SECRET_KEY_FILE} "
                "(python -c 'import secrets; print(secrets.token_hex(32))')"
            )
    if not config.get("DATABASE_URL"):
        data_dir.mkdir(parents=True, exist_ok=True)
        config["DATABASE_URL"] = f"sqlite:///{data_dir / config['SQLITE_FILENAME']}"
    if not config.get("OUTBOX_DIR"):
        config["OUTBOX_DIR"] = str(data_dir / "outbox")
    sms_url = config.get("SMS_URL")
    if sms_url and not str(sms_url).startswith(("http://", "https://")):
        raise ConfigError(f"SURVEY_SMS_URL must be an http:// or https:// address, not {sms_url!r}")
    secure = config.get("SECURE_COOKIES")
    secure = mode == "production" if secure is None else str(secure).lower() not in ("0", "false", "no")
    config["SESSION_COOKIE_SECURE"] = config["REMEMBER_COOKIE_SECURE"] = secure

