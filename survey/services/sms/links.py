"""The short link in a text message: ``/m/<code>``, a 22-character code of 128 bits that opens the survey link.

The code is derived from the survey token with the app's secret key, so a reminder carries the
same short link as the invitation; only its sha256 is stored (``sms_messages.link_hash``), and
the survey token is written again from the invitation (``invitations.derived_token``) when the
short link is opened.  Neither the code nor the token is logged (``survey.serve.SECRET_PATHS``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.models import Invitation, SmsMessage
from survey.services import invitations

CODE_BYTES = 16  # 128 bits: 22 base64url characters
PATH = "/m/"


def short_code(token: str, key: str) -> str:
    digest = hmac.new(key.encode("utf-8"), b"short-link|" + token.encode("utf-8"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:CODE_BYTES]).decode("ascii").rstrip("=")


def code_hash(code: str) -> str:
    return invitations.token_hash(code)


def short_url(base_url: str, code: str) -> str:
    return f"{base_url.rstrip('/')}{PATH}{code}"


def survey_token(session: Session, code: str, key: str) -> str | None:
    """The survey token the short link ``code`` stands for, or None (unknown code, or a link since replaced)."""
    if not code or len(code) != 22 or not code.isascii():
        return None
    inv_id = session.scalar(select(SmsMessage.invitation_id).where(SmsMessage.link_hash == code_hash(code)).limit(1))
    inv = session.get(Invitation, inv_id) if inv_id is not None else None
    token = invitations.derived_token(inv, key) if inv is not None else None
    if token is None or not hmac.compare_digest(short_code(token, key), code):
        return None
    return token
