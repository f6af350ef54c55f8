"""Questionnaire files in the editor: read an uploaded YAML/JSON file, write a version as one."""

from __future__ import annotations

import json

import yaml
from flask_babel import lazy_gettext as _l

from survey.errors import ValidationFailed
from survey.models import Questionnaire
from survey.services import questionnaires

MAX_BYTES = 512 * 1024


def read_upload(raw: bytes, filename: str) -> dict:
    """The mapping in an uploaded file; refused (naming the file) when it is not YAML/JSON of a mapping."""
    name = filename or "upload"
    if len(raw) > MAX_BYTES:
        raise ValidationFailed(_l("%(name)s: the file is larger than %(n)s KB", name=name, n=MAX_BYTES // 1024))
    try:
        text = raw.decode("utf-8-sig")
        data = json.loads(text) if name.lower().endswith(".json") else yaml.safe_load(text)
    except (UnicodeDecodeError, json.JSONDecodeError, yaml.YAMLError) as exc:
        raise ValidationFailed(_l("%(name)s: not a valid YAML or JSON file (UTF-8): %(why)s", name=name,
                                  why=str(exc).splitlines()[0] if str(exc) else "")) from exc
    if not isinstance(data, dict):
        raise ValidationFailed(_l("%(name)s: the top level must be a mapping", name=name))
    return data


def export_text(qn: Questionnaire, fmt: str) -> str:
    """The version as a file the loader reads back to the same definition (``survey export-questionnaire``'s)."""
    return questionnaires.dump(qn.definition, fmt)
