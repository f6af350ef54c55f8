"""``POST /hooks/sms/receipt`` and ``POST /hooks/sms/inbound``: JSON in, JSON out.

Refusals: 403 when no webhook secret is configured, 401 for a missing or wrong signature,
400 for a body that is not a JSON object or a field that is missing or malformed, 404 for a
receipt naming no message we sent.  Nothing here answers 5xx for odd input.
"""

import json

from flask import current_app, jsonify, request

from survey.db import get_session
from survey.errors import NotFound, ValidationFailed
from survey.hooks.blueprint import bp
from survey.services.sms import receipts


def _refuse(status: int, detail: str):
    return jsonify(status=status, detail=detail), status


def _signed_json():
    """(payload, None) for a signed JSON object, else (None, refusal)."""
    secret = current_app.config.get("SMS_WEBHOOK_SECRET")
    if not secret:
        return None, _refuse(403, "SMS webhooks are not configured (SURVEY_SMS_WEBHOOK_SECRET)")
    body = request.get_data(cache=False)
    if not receipts.signature_ok(secret, body, request.headers.get(receipts.SIGNATURE_HEADER)):
        return None, _refuse(401, f"missing or wrong {receipts.SIGNATURE_HEADER} signature")
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None, _refuse(400, "the body is not JSON")
    if not isinstance(payload, dict):
        return None, _refuse(400, "the body must be a JSON object")
    return payload, None


@bp.post("/sms/receipt", endpoint="sms_receipt")
def sms_receipt():
    payload, refusal = _signed_json()
    if refusal:
        return refusal
    db = get_session()
    try:
        receipt = receipts.record_receipt(db, payload)
    except ValidationFailed as exc:
        db.rollback()
        return _refuse(400, str(exc))
    except NotFound as exc:
        db.rollback()
        return _refuse(404, str(exc))
    db.commit()
    return jsonify(status=receipt.status, changed=receipt.changed)


@bp.post("/sms/inbound", endpoint="sms_inbound")
def sms_inbound():
    payload, refusal = _signed_json()
    if refusal:
        return refusal
    db = get_session()
    try:
        reply = receipts.record_reply(db, payload)
    except ValidationFailed as exc:
        db.rollback()
        return _refuse(400, str(exc))
    db.commit()
    return jsonify(opt_out=reply.keyword, clients=reply.matched, opted_out=len(reply.opted_out))
