"""The text message: one segment in the client's language, a short link of 128 bits, the channel rule."""

from __future__ import annotations

import re

import pytest

from survey.models import Client
from survey.serve import redact
from survey.services import invitations
from survey.services.sms import compose, links
from survey.services.sms.channel import channel_of, mobile_e164, phone_spellings

LINK = "https://survey.bank.example.cn/m/" + "A" * 22  # a long-ish base address


def test_gsm7_and_ucs2_lengths_and_segments():
    assert compose.measure("a" * 160) == ("gsm7", 160, 1)
    assert compose.measure("a" * 161) == ("gsm7", 161, 2)  # parts of 153
    assert compose.measure("a" * 306)[2] == 2 and compose.measure("a" * 307)[2] == 3
    assert compose.measure("€" * 80) == ("gsm7", 160, 1)  # an extension character takes two
    assert compose.measure("满" * 70) == ("ucs2", 70, 1)
    assert compose.measure("满" * 71) == ("ucs2", 71, 2)  # parts of 67
    assert compose.measure("a" * 69 + "满") == ("ucs2", 70, 1)  # one Chinese character makes it all UCS-2
    assert compose.measure("😀" * 35) == ("ucs2", 70, 1)  # outside the BMP: two code units


@pytest.mark.parametrize("language", ["zh_CN", "en"])
@pytest.mark.parametrize("kind", ["invitation", "reminder"])
def test_every_message_fits_one_segment_with_a_long_base_address(language, kind):
    text = compose.compose(kind, language, LINK)
    assert text.segments == 1 and LINK in text.text
    assert text.encoding == ("ucs2" if language == "zh_CN" else "gsm7")
    assert text.length <= (70 if language == "zh_CN" else 160)
    assert ("回T退订" in text.text) == (language == "zh_CN") and ("STOP" in text.text) == (language == "en")


def test_a_very_long_base_address_falls_back_to_the_shortest_text_then_to_parts():
    link = "https://" + "x" * 20 + ".cn/m/" + "A" * 22
    text = compose.compose("invitation", "zh_CN", link)
    assert text.segments == 1 and text.text == compose.TEXTS[("zh_CN", "invitation")][-1].format(link=link)
    longer = compose.compose("invitation", "zh_CN", "https://" + "x" * 80 + "/m/" + "A" * 22)
    assert longer.segments == 2  # counted honestly, never cut


def test_the_language_of_a_client():
    assert compose.language_of(None) == compose.language_of("zh_CN") == "zh_CN"
    assert compose.language_of("en") == "en"


def test_the_short_code_is_22_characters_of_128_bits_tied_to_the_token_and_key():
    token = invitations.new_token()
    code = links.short_code(token, "key")
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", code)
    assert links.short_code(token, "key") == code  # a reminder carries the same short link
    assert links.short_code(token, "other-key") != code and links.short_code(invitations.new_token(), "key") != code
    assert links.CODE_BYTES * 8 == 128


def test_short_links_are_redacted_from_the_access_log():
    assert redact("GET /m/AbCdEfGhIjKlMnOpQrStUv HTTP/1.1") == "GET /m/<code> HTTP/1.1"
    assert redact("https://s.bank.cn/m/AbCdEfGhIjKlMnOpQrStUv?x=1") == "https://s.bank.cn/m/<code>?x=1"


def test_mobile_numbers_in_every_spelling_the_import_accepts():
    for spelling in phone_spellings("+8613800000001"):
        assert mobile_e164(spelling) == "+8613800000001"
    assert mobile_e164("010-12345678") is None and mobile_e164(None) is None and mobile_e164("") is None


@pytest.mark.parametrize("preferred,email,phone,channel", [
    ("sms", "a@b.cn", "13800000001", "sms"),
    ("sms", "a@b.cn", "010-12345678", "email"),  # no mobile: the other channel
    ("email", "a@b.cn", "13800000001", "email"),
    ("email", None, "13800000001", "sms"),  # no address: the other channel
    (None, "a@b.cn", "13800000001", "email"),  # the default rule: e-mail first
    (None, None, "13800000001", "sms"),
    (None, None, "010-12345678", None),  # nothing reaches them
])
def test_the_channel_rule(preferred, email, phone, channel):
    assert channel_of(Client(preferred_channel=preferred, email=email, phone=phone)) == channel
