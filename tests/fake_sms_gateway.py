"""A fake SMS gateway for tests: a real HTTP server on 127.0.0.1 (http.server in a thread) that
records what it is sent and answers as a provider would (or fails on request)."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@contextmanager
def serving(server: ThreadingHTTPServer) -> Iterator[ThreadingHTTPServer]:
    """``server`` answering in a thread for the block, then shut down and closed."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class FakeGateway:
    """``received``: the JSON bodies posted, with the Authorization header as ``_auth``.
    ``answer``: ``"ok"`` (``{"id": "gw-<n>"}``), a status code to fail with, or ``"not-json"``."""

    def __init__(self):
        self.received: list[dict] = []
        self.answer: object = "ok"
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])).decode("utf-8"))
                body["_auth"] = self.headers.get("Authorization")
                body["_path"] = self.path
                if gateway.answer == "ok":
                    gateway.received.append(body)
                    self._reply(200, json.dumps({"id": f"gw-{len(gateway.received)}"}).encode())
                elif gateway.answer == "not-json":
                    self._reply(200, b"<html>ok</html>")
                else:
                    self._reply(int(gateway.answer), b'{"error": "refused by the fake"}')

            def _reply(self, code: int, data: bytes):
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):  # keep the test output quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/v1/messages"
        self._running = serving(self.server)

    def __enter__(self) -> FakeGateway:
        self._running.__enter__()
        return self

    def __exit__(self, *exc):
        return self._running.__exit__(*exc)

    def sent_to(self, number: str) -> list[dict]:
        return [m for m in self.received if m["to"] == number]


def signed(secret: str, payload) -> tuple[bytes, dict]:
    """The body and headers of a webhook call as the gateway signs it."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False).encode("utf-8")
    sig = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return body, {"X-Survey-Signature": sig, "Content-Type": "application/json"}
