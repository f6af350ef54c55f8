"""The outcome catalogue for calls and visits (AAPOR Standard Definitions) and the disposition rule.

Every attempt records one outcome: a *final* AAPOR disposition code, which closes the case,
or an *interim* outcome (no answer, busy, answering machine, callback set, soft refusal,
nobody at home), which keeps it open.  Each outcome carries its AAPOR code or group, a retry
delay, and whether contact with the client was made.  The catalogue is data: the views,
the queue and the dashboard all read it from here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Outcome:
    """One outcome of a call or visit.

    ``code`` is what is stored in ``contact_attempts.outcome``; ``aapor`` is the AAPOR code
    (for interim outcomes: the code the case would get if it ended now); ``retry_minutes``
    is the shortest wait before the next try (the wave's retry wait applies too).
    """

    code: str
    aapor: str
    final: bool
    contact: bool
    retry_minutes: int
    label_zh: str
    label_en: str
    modes: tuple[str, ...] = ("phone", "in_person")

    @property
    def group(self) -> str:
        """AAPOR group: I, P, R, NC, O, UH/UO (``U``) or NE."""
        return aapor_group(self.aapor)


def aapor_group(code: str | None) -> str:
    if not code:
        return "U"
    if code == "1.1":
        return "I"
    if code == "1.2":
        return "P"
    if code.startswith("2.1"):
        return "R"
    if code.startswith("2.2"):
        return "NC"
    if code.startswith("2.3"):
        return "O"
    if code.startswith("3."):
        return "U"
    return "NE"


PHONE, VISIT, WEB = ("phone",), ("in_person",), ("web",)

INTERIM = (
    Outcome("no_answer", "3.13", False, False, 120, "无人接听", "No answer", PHONE),
    Outcome("busy", "3.12", False, False, 30, "占线", "Busy", PHONE),
    Outcome("answer_machine", "3.14", False, False, 240, "语音信箱/录音电话", "Answering machine", PHONE),
    Outcome("nobody_home", "2.24", False, False, 240, "上门无人", "Nobody at the address", VISIT),
    Outcome("callback", "2.36", False, True, 0, "约定回访时间", "Callback / visit appointment set"),
    Outcome("soft_refusal", "2.11", False, True, 1440, "婉拒（可再联系）", "Soft refusal (may try again)"),
)

FINAL = (
    Outcome("1.1", "1.1", True, True, 0, "完成访问", "Complete"),
    Outcome("1.2", "1.2", True, True, 0, "部分完成", "Partial"),
    Outcome("2.11", "2.11", True, True, 0, "拒访", "Refusal"),
    Outcome("2.12", "2.12", True, True, 0, "中途终止", "Break-off"),
    Outcome("2.21", "2.21", True, False, 0, "受访者始终无法联系", "Respondent never available"),
    Outcome("2.22", "2.22", True, False, 0, "电话录音（已留言或未留言）", "Answering machine, message left or not", PHONE),
    Outcome("2.23", "2.23", True, False, 0, "无法到达地址", "Unable to reach the address", VISIT),
    Outcome("2.24", "2.24", True, False, 0, "地址处无人", "No one at the address", VISIT),
    Outcome("2.25", "2.25", True, False, 0, "受访者外出或不便", "Respondent away or unavailable"),
    Outcome("2.31", "2.31", True, True, 0, "受访者已故", "Deceased"),
    Outcome("2.32", "2.32", True, True, 0, "身体或精神原因无法受访", "Unable (physically or mentally)"),
    Outcome("2.33", "2.33", True, True, 0, "语言障碍", "Language"),
    Outcome("2.36", "2.36", True, True, 0, "其他（已接触）", "Other, contact made"),
    Outcome("3.11", "3.11", True, False, 0, "未尝试联系", "Not attempted"),
    Outcome("3.12", "3.12", True, False, 0, "始终占线", "Always busy", PHONE),
    Outcome("3.13", "3.13", True, False, 0, "始终无人接听", "No answer", PHONE),
    Outcome("3.14", "3.14", True, False, 0, "录音电话，无法确认本人", "Answering machine, unknown if right person", PHONE),
    Outcome("3.16", "3.16", True, False, 0, "电话技术故障", "Technical phone problem", PHONE),
    Outcome("3.18", "3.18", True, False, 0, "找不到地址", "Unable to locate the address", VISIT),
    # web links sent by SMS, given at the close of fieldwork (closing_disposition), never by hand
    Outcome("2.20", "2.20", True, False, 0, "短信已送达，未作答", "Non-contact: text message delivered, no answer", WEB),
    Outcome("3.30", "3.30", True, False, 0, "短信未送达", "Text message not delivered", WEB),
    Outcome("3.90", "3.90", True, False, 0, "其他（资格未知）", "Other, eligibility unknown"),
    Outcome("4.10", "4.10", True, False, 0, "不在样本范围（销户、迁出）", "Out of sample (account closed, moved away)"),
    Outcome("4.32", "4.32", True, False, 0, "号码已停机", "Disconnected number", PHONE),
    Outcome("4.41", "4.41", True, False, 0, "号码已变更", "Number changed", PHONE),
    Outcome("4.90", "4.90", True, False, 0, "其他不合格", "Other, not eligible"),
)

OUTCOMES: dict[str, Outcome] = {o.code: o for o in (*INTERIM, *FINAL)}
# complete and partial come from the interview itself, never from the outcome form
INTERVIEW_CODES = ("1.1", "1.2")
# what an automatic close gives when nothing else applies
MAX_ATTEMPTS_CODE = "3.90"
NOT_ATTEMPTED_CODE = "3.11"
# a web link sent by SMS (contact_attempts of mode "sms": sent, then delivered or not_delivered by the receipt)
SMS_DELIVERED_CODE = "2.20"
SMS_NOT_DELIVERED_CODE = "3.30"
SMS_OUTCOMES = ("sent", "delivered", "not_delivered")


def get(code: str) -> Outcome:
    try:
        return OUTCOMES[code]
    except KeyError:
        raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)} but got {code!r}") from None


def choices(mode: str) -> tuple[list[Outcome], list[Outcome]]:
    """(interim, final) outcomes an interviewer may record for a case of ``mode``."""
    interim = [o for o in INTERIM if mode in o.modes]
    final = [o for o in FINAL if mode in o.modes and o.code not in INTERVIEW_CODES]
    return interim, final


def final_disposition(attempt_outcomes: Iterable[str], *, retired: bool = False,
                      recorded: str | None = None) -> str:
    """The case's AAPOR disposition for the wave, derived from its attempts in time order.

    The rule, in order:

    1. a complete (1.1) wins; else a partial (1.2);
    2. else the last final code recorded on an attempt (refusal, deceased, disconnected ...),
       or, with no final attempt, a final code set on the case without an attempt
       (``recorded``: an opt-out closes a case with 2.11);
    3. else, if contact was ever made: a soft refusal as the last contact outcome gives
       2.11 (refusal), any other contact gives 2.36 (other, eligible);
    4. else no contact was ever made: a case retired at its maximum number of attempts is
       3.90 (other, unknown eligibility); a case never tried is 3.11 (not attempted);
       a case still open takes the AAPOR code of its last interim outcome
       (3.13 no answer, 3.12 busy, 3.14 answering machine, 2.24 nobody at the address).

    >>> final_disposition(["no_answer", "soft_refusal", "no_answer"], retired=True)
    '2.11'
    >>> final_disposition(["no_answer", "busy"], retired=True)
    '3.90'
    """
    codes = [c for c in attempt_outcomes if c in OUTCOMES]
    if "1.1" in codes:
        return "1.1"
    if "1.2" in codes:
        return "1.2"
    finals = [c for c in codes if OUTCOMES[c].final]
    if finals:
        return finals[-1]
    if recorded:
        return recorded
    contacts = [c for c in codes if OUTCOMES[c].contact]
    if contacts:
        return "2.11" if contacts[-1] == "soft_refusal" else "2.36"
    if retired:
        return MAX_ATTEMPTS_CODE
    if not codes:
        return NOT_ATTEMPTED_CODE
    return OUTCOMES[codes[-1]].aapor


def _named(code: str | None) -> str:
    """``3.90 Other, eligibility unknown`` in the reader's language."""
    spec = OUTCOMES.get(code or "")
    if spec is None:
        return code or ""
    zh = str(get_locale() or "").startswith("zh")
    return f"{spec.aapor} {spec.label_zh if zh else spec.label_en}"


def attempt_message(recorded: str, status: str, disposition: str | None, attempts: int, max_attempts: int):
    """What the interviewer is told after recording ``recorded``: open, closed by a final code,
    or closed because it was the last allowed attempt (with the code the case got)."""
    if status == "open":
        return _l("Attempt recorded: the case stays open (%(n)s of %(max)s attempts made).", n=attempts, max=max_attempts)
    spec = OUTCOMES.get(recorded)
    if spec is not None and spec.final:
        return _l("Attempt recorded: the case is closed with code %(code)s.", code=_named(disposition))
    return _l("This was the last allowed attempt (%(n)s of %(max)s): it closed the case with code %(code)s.",
              n=attempts, max=max_attempts, code=_named(disposition))


def web_disposition(attempt_outcomes: Iterable[str], *, mailed: bool, emailed: bool = False) -> str:
    """The final disposition of a web case never answered, from its text messages' receipts.

    1. a text message delivered: **2.20 non-contact**.  The receipt shows that the link reached the
       client's own mobile number, so the client (a named person of the bank's file, eligible by
       the frame) was reachable, but no contact came of it: a non-respondent, not an unknown.
    2. every text message not delivered and no e-mail sent: **3.30** (unknown eligibility, other:
       AAPOR's "invitation returned undelivered").  A bad number says nothing about whether the
       client is still eligible, so it is not 4.x, which would take the case out of every
       denominator.
    3. else as an e-mailed link: sent and nothing came back, **3.90** (unknown eligibility: a
       message sent with no receipt, or an e-mail); nothing ever sent, **3.11** (not attempted).

    >>> web_disposition(["sent", "delivered"], mailed=True)
    '2.20'
    >>> web_disposition(["not_delivered"], mailed=True)
    '3.30'
    >>> web_disposition(["sent"], mailed=True)
    '3.90'
    """
    sms = [o for o in attempt_outcomes if o in SMS_OUTCOMES]
    if "delivered" in sms:
        return SMS_DELIVERED_CODE
    if sms and all(o == "not_delivered" for o in sms) and not emailed:
        return SMS_NOT_DELIVERED_CODE
    return final_disposition([], retired=mailed)


def closing_disposition(mode: str, attempt_outcomes: Iterable[str], *, attempts: int, max_attempts: int,
                        mailed: bool, emailed: bool = False) -> str:
    """The final disposition a case still open gets when its wave's fieldwork closes.

    Calls and visits follow :func:`final_disposition` over their attempts; a case that had
    reached the wave's maximum number of attempts counts as retired (3.90 without contact), any
    other case keeps the code of its last interim outcome, or 3.11 when never tried.  A web case
    follows :func:`web_disposition`: its text messages' receipts (2.20 delivered, 3.30 never
    delivered); else if its link was sent and never answered it ends as 3.90 (other, unknown
    eligibility: nothing came back); if no message ever went out, 3.11 (not attempted).

    >>> closing_disposition("phone", ["no_answer", "busy"], attempts=2, max_attempts=6, mailed=False)
    '3.12'
    >>> closing_disposition("web", [], attempts=0, max_attempts=6, mailed=True)
    '3.90'
    """
    if mode == "web":
        return web_disposition(attempt_outcomes, mailed=mailed, emailed=emailed)
    return final_disposition(attempt_outcomes, retired=attempts >= max_attempts)
