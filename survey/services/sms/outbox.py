"""Without a gateway, each text message is written to the outbox folder, as e-mail is."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from survey.models import utcnow
from survey.services.private_files import write_private
from survey.services.sms.gateway import Gateway, Outgoing


class OutboxGateway(Gateway):
    """Writes ``<time>-<reference>.json`` (0600, in a 0700 folder); the message id is ``outbox-<hex>``."""

    transport = "outbox"

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def send(self, message: Outgoing) -> str:
        gid = f"outbox-{uuid.uuid4().hex}"
        body = {"id": gid, "to": message.to, "text": message.text, "reference": message.reference}
        name = f"{utcnow():%Y%m%dT%H%M%S}-{message.reference}-{gid[-6:]}.json"
        write_private(self.folder / name, json.dumps(body, ensure_ascii=False, indent=1).encode("utf-8"))
        return gid
