"""The SMS gateway: a small interface, and a generic HTTP/JSON gateway configured by URL and credentials.

A provider is added by subclassing :class:`Gateway` (see ``docs/sms.md``).  Errors never carry the
message text: it holds the survey link, whose token must not reach a log.
"""

from __future__ import annotations

import base64
import http.client
import json
import re
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

DEFAULT_TIMEOUT = 10.0  # seconds, for connecting and for the answer


class GatewayError(Exception):
    """The gateway did not take a message.  ``retryable``: it was unreachable or failed on its side
    (timeout, 5xx), so later messages of the run would fail alike; otherwise it refused this one."""

    def __init__(self, message: str, *, retryable: bool):
        super().__init__(message)
        self.retryable = retryable


@dataclass(frozen=True)
class Outgoing:
    """One message to hand to a gateway: the number in E.164 form (+8613800138000) and the text."""

    to: str
    text: str
    reference: str  # our own id for the message (never secret), echoed back by some gateways


class Gateway:
    """What sending needs of a provider: ``send`` returns the provider's message id or raises GatewayError."""

    transport = "gateway"

    def send(self, message: Outgoing) -> str:
        raise NotImplementedError


class HttpJsonGateway(Gateway):
    """A gateway reached by ``POST url`` with a JSON body ``{"to", "text", "sender", "reference"}``.

    It answers 2xx with a JSON object naming the message's id (``id`` or ``message_id``).  Basic
    authentication with ``user``/``key``, or a bearer ``token``.  Subclass and override
    :meth:`payload` and :meth:`message_id` for a provider whose fields differ.
    """

    transport = "gateway"

    def __init__(self, url: str, *, user: str | None = None, key: str | None = None, token: str | None = None,
                 sender: str | None = None, timeout: float = DEFAULT_TIMEOUT):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"SMS_URL must be an http(s) address, but got {url!r}")
        self.url, self.user, self.key, self.token = url, user, key, token
        self.sender, self.timeout = sender, float(timeout)
        self.host = parts.netloc.rpartition("@")[2]

    def payload(self, message: Outgoing) -> dict:
        body = {"to": message.to, "text": message.text, "reference": message.reference}
        if self.sender:
            body["sender"] = self.sender
        return body

    def message_id(self, answer: Mapping) -> str | None:
        value = answer.get("id", answer.get("message_id"))
        return str(value) if value not in (None, "") else None

    def headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json; charset=utf-8", "Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        elif self.user:
            pair = f"{self.user}:{self.key or ''}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
        return headers

    def send(self, message: Outgoing) -> str:
        data = json.dumps(self.payload(message), ensure_ascii=False).encode("utf-8")
        request = urllib.request.Request(self.url, data=data, headers=self.headers(), method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310 (http(s) checked)
                raw = answer.read(64 * 1024)
        except urllib.error.HTTPError as exc:
            try:
                detail = _short(exc.read(300))
            except (OSError, http.client.HTTPException):
                detail = ""
            finally:
                exc.close()
            raise GatewayError(f"SMS gateway {self.host} answered {exc.code}{': ' + detail if detail else ''}",
                               retryable=exc.code >= 500 or exc.code == 429) from None
        except (OSError, http.client.HTTPException) as exc:  # URLError, timeouts, refused, reset, bad answers
            why = getattr(exc, "reason", exc)
            raise GatewayError(f"SMS gateway {self.host} unreachable ({why}) within {self.timeout:g} s",
                               retryable=True) from None
        try:
            answer_json = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise GatewayError(f"SMS gateway {self.host} answered something that is not JSON", retryable=False) from None
        gid = self.message_id(answer_json) if isinstance(answer_json, dict) else None
        if not gid or len(gid) > 128:
            raise GatewayError(f"SMS gateway {self.host} answered without a message id", retryable=False)
        return gid


def _short(raw: bytes) -> str:
    """A gateway's error text, cut short, on one line, and without any link it may echo from our message."""
    text = raw.decode("utf-8", "replace").replace("\n", " ").strip()
    text = re.sub(r"https?://\S+", "<link>", text)
    return re.sub(r"/[ms]/[\w-]{8,}", "<link>", text)[:200]
