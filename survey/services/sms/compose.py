"""The text of a survey message in the client's language, kept to one SMS segment where it can be.

An SMS segment holds 160 characters of the GSM 03.38 alphabet (GSM-7; the extension characters
``^{}\\[~]|€`` take two) or 70 UCS-2 characters, the encoding any Chinese character forces.  A
longer message is split into parts of 153 (GSM-7) or 67 (UCS-2) characters, each billed.  The
texts below leave room for a short link of about 50 characters in one segment; when the base
address makes the link too long, the shorter variant is used, and only then more segments.
"""

from __future__ import annotations

from dataclasses import dataclass

GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = set("^{}\\[~]|€\f")
SINGLE = {"gsm7": 160, "ucs2": 70}
PART = {"gsm7": 153, "ucs2": 67}

# (language, kind) -> texts from the fullest to the shortest; {link} is the short link
TEXTS = {
    ("zh_CN", "invitation"): ("邀请您参加客户满意度调查，几分钟即可完成：{link} 回T退订", "邀请您参加满意度调查：{link} 回T退订",
                              "满意度调查：{link} 回T退订"),
    ("zh_CN", "reminder"): ("提醒：您的客户满意度调查尚未完成：{link} 回T退订", "满意度调查尚未完成：{link} 回T退订",
                            "调查提醒：{link} 回T退订"),
    ("en", "invitation"): ("Please take a few minutes to answer our client satisfaction survey: {link} "
                           "Reply STOP to opt out", "Our client satisfaction survey: {link} Reply STOP to opt out",
                           "Survey: {link} STOP to opt out"),
    ("en", "reminder"): ("Reminder: your client satisfaction survey is still waiting for you: {link} "
                         "Reply STOP to opt out", "Reminder, our survey: {link} Reply STOP to opt out",
                         "Survey: {link} STOP to opt out"),
}
LANGUAGES = ("zh_CN", "en")


@dataclass(frozen=True)
class Text:
    """A composed message: its text, encoding (gsm7 or ucs2), length in that encoding and segment count."""

    text: str
    language: str
    encoding: str
    length: int
    segments: int


def encoding_of(text: str) -> str:
    return "gsm7" if all(c in GSM7_BASIC or c in GSM7_EXTENDED for c in text) else "ucs2"


def measure(text: str) -> tuple[str, int, int]:
    """(encoding, length in code units, segments) of ``text``.

    >>> measure("Survey: https://b.cn/m/x STOP to opt out")
    ('gsm7', 40, 1)
    >>> measure("满意度调查")[::2]
    ('ucs2', 1)
    """
    enc = encoding_of(text)
    if enc == "gsm7":
        length = sum(2 if c in GSM7_EXTENDED else 1 for c in text)
    else:  # UTF-16 code units: a character outside the BMP takes two
        length = len(text.encode("utf-16-le")) // 2
    segments = 1 if length <= SINGLE[enc] else -(-length // PART[enc])
    return enc, length, segments


def language_of(value: str | None) -> str:
    """The message language of a client: ``en`` when their file says so, else Chinese."""
    return "en" if (value or "").lower().startswith("en") else "zh_CN"


def compose(kind: str, language: str, link: str) -> Text:
    """The first text for ``kind`` (invitation or reminder) in ``language`` that fits one segment,
    else the shortest one (the message is then sent in several parts)."""
    variants = TEXTS[(language_of(language), kind)]
    for template in variants:
        enc, length, segments = measure(template.format(link=link))
        if segments == 1:
            break
    return Text(template.format(link=link), language_of(language), enc, length, segments)
