"""The generic HTTP/JSON gateway against a fake one on 127.0.0.1: authentication, answers and clear errors."""

from __future__ import annotations

import socket
import stat
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from survey.services.sms import gateway
from survey.services.sms.outbox import OutboxGateway
from survey.services.sms.send import gateway_from_config
from tests.fake_sms_gateway import FakeGateway, serving

MESSAGE = gateway.Outgoing("+8613800000001", "满意度调查：https://s.bank.cn/m/SECRETSECRETSECRETSECR 回T退订", "inv1-invitation")


def test_it_posts_json_with_a_bearer_token_and_returns_the_message_id():
    with FakeGateway() as fake:
        gw = gateway.HttpJsonGateway(fake.url, token="tok-123", sender="BANK")
        assert gw.send(MESSAGE) == "gw-1"
    body = fake.received[0]
    assert (body["to"], body["text"], body["sender"], body["reference"]) == (
        MESSAGE.to, MESSAGE.text, "BANK", "inv1-invitation")
    assert body["_auth"] == "Bearer tok-123" and body["_path"] == "/v1/messages"


@pytest.mark.parametrize("answer,retryable,words", [
    (400, False, "answered 400"), (401, False, "answered 401"), (429, True, "answered 429"),
    (500, True, "answered 500"), ("not-json", False, "not JSON"),
])
def test_refusals_are_clear_and_never_carry_the_message(answer, retryable, words):
    with FakeGateway() as fake:
        fake.answer = answer
        with pytest.raises(gateway.GatewayError) as err:
            gateway.HttpJsonGateway(fake.url, user="u", key="k").send(MESSAGE)
    assert err.value.retryable is retryable and words in str(err.value) and "127.0.0.1" in str(err.value)
    assert "SECRET" not in str(err.value) and "/m/" not in str(err.value)


def test_an_unreachable_gateway_is_a_retryable_error():
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(gateway.GatewayError) as err:
        gateway.HttpJsonGateway(f"http://127.0.0.1:{port}/send", timeout=2).send(MESSAGE)
    assert err.value.retryable and "unreachable" in str(err.value)


def test_a_gateway_that_does_not_answer_in_time_is_a_retryable_error():
    release = threading.Event()

    class Slow(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            release.wait(10)

        def log_message(self, *args):
            pass

    with serving(ThreadingHTTPServer(("127.0.0.1", 0), Slow)) as server:
        try:
            with pytest.raises(gateway.GatewayError) as err:
                gateway.HttpJsonGateway(f"http://127.0.0.1:{server.server_port}/", timeout=0.5).send(MESSAGE)
            assert err.value.retryable and "within 0.5 s" in str(err.value)
        finally:
            release.set()


def test_the_gateway_address_must_be_http():
    with pytest.raises(ValueError, match="SMS_URL"):
        gateway.HttpJsonGateway("ftp://example.com/x")


def test_from_config_picks_the_gateway_or_the_outbox(tmp_path):
    assert isinstance(gateway_from_config({"OUTBOX_DIR": str(tmp_path)}), OutboxGateway)
    gw = gateway_from_config({"SMS_URL": "https://sms.example.cn/send", "SMS_USER": "u", "SMS_KEY": "k",
                              "SMS_TIMEOUT": "3"})
    assert isinstance(gw, gateway.HttpJsonGateway) and gw.timeout == 3.0
    assert gw.headers()["Authorization"] == "Basic dTpr"


def test_the_outbox_writes_private_files(tmp_path):
    box = OutboxGateway(tmp_path / "sms")
    gid = box.send(MESSAGE)
    files = list((tmp_path / "sms").glob("*.json"))
    assert gid.startswith("outbox-") and len(files) == 1
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "sms").stat().st_mode) == 0o700


def test_a_gateway_address_that_is_not_http_refuses_to_start(tmp_path, monkeypatch):
    from survey import create_app
    from survey.config import ConfigError

    monkeypatch.setenv("SURVEY_SMS_URL", "smpp://sms.example.cn:2775")
    with pytest.raises(ConfigError, match="SURVEY_SMS_URL"):
        create_app({"ENV_MODE": "development", "DATA_DIR": str(tmp_path)})


def test_a_gateway_that_echoes_the_message_in_its_error_does_not_leak_the_link():
    class Echo(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(400)
            self.end_headers()
            self.wfile.write(b"bad text: " + body)

        def log_message(self, *args):
            pass

    with serving(ThreadingHTTPServer(("127.0.0.1", 0), Echo)) as server, pytest.raises(gateway.GatewayError) as err:
        gateway.HttpJsonGateway(f"http://127.0.0.1:{server.server_port}/").send(MESSAGE)
    assert "answered 400: bad text" in str(err.value) and "SECRET" not in str(err.value)
