"""Test data for the quality pages: clients per tier and waves of answers, inserted in bulk."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from sqlalchemy import insert
from sqlalchemy.orm import Session

from survey.models import Answer, Client, Draw, Invitation, Response, Wave
from survey.services import tiers
from tests.factories import make_wave

_seq = itertools.count(1)
WHEN = dt.datetime(2026, 10, 5, 9, tzinfo=dt.UTC)


def make_clients(session: Session, tier: str, n: int, *, branch: str = "BJ01", manager: str = "RM001") -> list[int]:
    """``n`` clients of ``tier`` (tier code set directly), returning their ids."""
    tiers.ensure_default_scheme(session)
    rows = []
    for _ in range(n):
        k = next(_seq)
        rows.append(dict(client_no=f"Q{k:08d}", name=f"客户{k}", phone="13800138000", branch_code=branch,
                         manager_code=manager, manager_name=f"经理{manager}", contribution=Decimal("1000"),
                         tier_code=tier))
    return list(session.scalars(insert(Client).returning(Client.id, sort_by_parameter_order=True), rows))


def record_draw(session: Session, wave: Wave, frame_counts: dict[str, int]) -> None:
    session.add(Draw(wave_id=wave.id, seed="1", algorithm="test", numpy_version="test", frame_counts=frame_counts,
                     exclusions={}, allocation={}))
    session.flush()


def add_cases(session: Session, wave: Wave, client_ids: list[int], tier: str, *, answers: list[dict] | None = None,
              dispositions: list[str | None] | None = None, mode: str = "phone", interviewer_id: int | None = None,
              assigned_to: int | None = None) -> list[int]:
    """Invite ``client_ids``; the first ``len(answers)`` respond (1.1) with ``answers[i]`` ({question code: value}),
    the next ``len(dispositions)`` get those final codes (None = still open)."""
    answers = answers or []
    dispositions = dispositions or []
    if len(answers) + len(dispositions) > len(client_ids):
        raise ValueError("more cases than clients")
    codes = ["1.1"] * len(answers) + list(dispositions)
    inv_rows = [dict(wave_id=wave.id, client_id=cid, kind="sample", tier_code=tier, mode=mode,
                     status="open" if code is None else "done", disposition=code, assigned_to=assigned_to,
                     used_at=WHEN if code == "1.1" else None, created_at=WHEN)
                for cid, code in zip(client_ids, codes, strict=False)]
    inv_ids = list(session.scalars(insert(Invitation).returning(Invitation.id, sort_by_parameter_order=True), inv_rows))
    if answers:
        resp_rows = [dict(invitation_id=inv_ids[i], wave_id=wave.id, client_id=client_ids[i], mode=mode,
                          interviewer_id=interviewer_id, status="complete", locale="zh_CN", started_at=WHEN,
                          submitted_at=WHEN, created_at=WHEN) for i in range(len(answers))]
        resp_ids = list(session.scalars(insert(Response).returning(Response.id, sort_by_parameter_order=True), resp_rows))
        qid = {q.code: q.id for q in wave.questionnaire.questions}
        ans_rows = [dict(response_id=rid, question_id=qid[code], value_num=float(v))
                    for rid, values in zip(resp_ids, answers, strict=True) for code, v in values.items()]
        session.execute(insert(Answer), ans_rows)
    session.flush()
    return inv_ids


def scores(overall_counts: dict[int, int], **extra) -> list[dict]:
    """Answers with the given number of each overall score; NPS = 2 x overall, items = overall unless given."""
    out = []
    for score, count in overall_counts.items():
        for _ in range(count):
            out.append({"overall": score, "recommend": min(10, 2 * score), "courtesy": score, **extra})
    return out


def quality_wave(session: Session, name: str, start: dt.date, **kw) -> Wave:
    return make_wave(session, name=name, period_start=start, **kw)
