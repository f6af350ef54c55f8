"""Demo data for follow-up cases: the demo's low scores taken through the five steps at back-dated
times, a few complaints from other channels, win-back answers, and the escalation sweep.

Everything goes through the follow-up services (triggers, steps, win-back, sweep), so the demo
shows what a few weeks of real work leave behind: cases in every step, some overdue or escalated,
closed cases with and without a recovered client, and step timings for the reports.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.errors import Conflict
from survey.models import Answer, Client, FollowUpCase, Question, Response, StaffUser, Wave, utcnow
from survey.services import responses as responses_service
from survey.services import waves as waves_service
from survey.services.followup import cases as followup_cases
from survey.services.followup import escalation as followup_escalation
from survey.services.followup import steps as followup_steps
from survey.services.followup import triggers as followup_triggers
from survey.services.followup import winback as followup_winback

# the step each case is left in, in turn (closed cases are the most common)
PATTERN = ("recorded", "accepted", "analysed", "handled", "fed_back", "closed", "closed", "accepted", "closed")
OWNERS = ("supervisor", "branchhead", "quality", "supervisor")
ANALYSES = (
    "客户两次到网点办理业务均排队超过一小时，高峰期只开放两个窗口。",
    "客户经理调岗后未做交接，客户三个月无人联系。",
    "手机银行升级后旧版本无法登录，客户未收到升级提示。",
    "The annual card fee was charged without the reminder the client had been promised.",
    "理财产品到期后资金转入活期，客户事先不知情。",
)
ACTIONS = (
    "支行行长致电致歉；高峰期增开窗口，并为客户办理预约服务。",
    "指定新的客户经理，当周上门拜访并更新服务计划。",
    "协助客户升级手机银行并远程确认可以登录。",
    "Refunded the fee and set a reminder in the client file; staff briefed on fee notices.",
    "为客户重新配置理财产品，并说明到期处理规则。",
)
COMPLAINTS = (
    ("fees", "phone", "客户来电投诉：转账手续费与宣传不符。"),
    ("service", "branch", "客户在网点当面投诉：柜员态度冷淡。"),
    ("digital", "email", "Client e-mailed: mobile banking locked the account twice this week."),
    ("relationship_manager", "letter", "客户来信：客户经理频繁推销保险产品。"),
    ("fees", "regulator", "监管转办：客户反映贷款提前还款违约金未事先告知。"),
    ("products", "phone", "客户来电：理财产品收益远低于预期，要求解释。"),
)


def _form(step: str, rng: np.random.Generator, owner: StaffUser, causes: list[str], at: dt.datetime,
          told: dt.datetime) -> dict:
    if step == "accepted":
        return {"owner_id": str(owner.id)}
    if step == "analysed":
        return {"root_cause": str(rng.choice(causes)), "analysis": str(rng.choice(ANALYSES))}
    if step == "handled":
        return {"actions": str(rng.choice(ACTIONS))}
    if step == "fed_back":
        return {"feedback_how": str(rng.choice(["phone", "phone", "visit", "letter"])),
                "feedback_at": told.astimezone(followup_steps.LOCAL_TZ).strftime("%Y-%m-%dT%H:%M"),
                "reaction": str(rng.choice(followup_steps.REACTIONS, p=[0.55, 0.3, 0.15]))}
    return {"note": "已按流程处理完毕 handled and fed back"}


def _walk(session, rng, case, target, start, durations, users, causes, now) -> None:
    """Take ``case`` through the steps up to ``target``; ``durations`` are hours spent in each step."""
    owner = users[OWNERS[case.id % len(OWNERS)]]
    at = start
    for step, hours in zip(followup_cases.STEPS[1:followup_cases.STEPS.index(target) + 1], durations, strict=False):
        told = at + dt.timedelta(hours=hours * 0.6)
        at = at + dt.timedelta(hours=hours)
        actor = users["supervisor"] if step == "accepted" else owner
        followup_steps.advance(session, case, step, _form(step, rng, owner, causes, at, told), actor=actor, now=at)
    if target != "closed" or rng.random() > 0.7:
        return
    sent = at + dt.timedelta(hours=2)
    try:
        inv, _token = followup_winback.send_winback(session, case, actor=owner, now=sent)
    except Conflict:
        return
    answered = sent + dt.timedelta(hours=float(rng.uniform(6, 96)))
    if answered < now and rng.random() < 0.75:
        wave = session.get(Wave, inv.wave_id)
        overall = int(rng.choice([5, 4, 3, 2], p=[0.3, 0.35, 0.2, 0.15]))
        questions = waves_service.questions_of(wave)
        responses_service.submit(session, inv, questions, {"overall": str(overall), "recommend": str(2 * overall)},
                                 mode="web", locale="zh_CN", now=answered)


def _plan(rng, target: str, sla: int, available_hours: float) -> tuple[list[float], float]:
    """Hours in each completed step and the age of the current one (scaled to fit the time available)."""
    k = followup_cases.STEPS.index(target)
    durations = [sla * float(rng.uniform(0.15, 1.25)) for _ in range(k)]
    age = float(rng.uniform(2, 240)) if target == "closed" else sla * float(rng.uniform(0.05, 1.7))
    span = sum(durations) + age
    if span > available_hours:
        scale = 0.95 * available_hours / span
        durations, age = [d * scale for d in durations], age * scale
    return durations, sum(durations) + age


def build(session: Session, rng: np.random.Generator, *, now: dt.datetime | None = None, limit: int = 60) -> None:
    """Open cases from the latest three waves' low overall scores and from other channels, then sweep."""
    now = (now or utcnow()).replace(microsecond=0)
    users = {u.username: u for u in session.scalars(select(StaffUser).where(StaffUser.username.in_(OWNERS + ("admin",))))}
    if not set(OWNERS) <= set(users):
        return
    causes = [c["code"] for c in followup_cases.root_causes(session)]
    recent = session.scalars(select(Wave.id).order_by(Wave.period_start.desc()).limit(3)).all()
    low = session.scalars(
        select(Response).join(Answer, Answer.response_id == Response.id).join(Question, Question.id == Answer.question_id)
        .where(Response.wave_id.in_(recent), Question.is_overall.is_(True), Answer.value_num <= 2,
               Response.submitted_at < now)
        .order_by(Response.submitted_at.desc(), Response.id).limit(limit)
    ).all()
    done = set(session.scalars(select(FollowUpCase.client_id)))  # e.g. interviews completed by the fieldwork demo
    low = [r for r in low if r.client_id not in done]
    for i, resp in enumerate(low):
        target = PATTERN[i % len(PATTERN)]
        client = session.get(Client, resp.client_id)
        available = (now - resp.submitted_at).total_seconds() / 3600
        durations, span = _plan(rng, target, followup_cases.sla_hours(session, client.tier_code), available)
        opened = now - dt.timedelta(hours=span)
        followup_triggers.on_response(session, resp, now=opened)
        case = session.scalar(select(FollowUpCase).where(FollowUpCase.response_id == resp.id))
        if case is not None:
            _walk(session, rng, case, target, opened, durations, users, causes, now)
    top = session.scalars(select(Client).where(Client.tier_code.in_(("private", "diamond", "platinum")),
                                               Client.account_closed.is_(False)).order_by(Client.id).limit(200)).all()
    for j, (topic, channel, summary) in enumerate(COMPLAINTS):
        if not top:
            break
        client = top[int(rng.integers(len(top)))]
        target = PATTERN[(j * 2) % len(PATTERN)]
        durations, span = _plan(rng, target, followup_cases.sla_hours(session, client.tier_code), 24 * 30)
        opened = now - dt.timedelta(hours=span)
        case, is_new = followup_cases.open_case(session, client=client, topic=topic, channel=channel,
                                                actor=users["supervisor"], now=opened, summary=summary)
        if is_new:
            _walk(session, rng, case, target, opened, durations, users, causes, now)
    followup_escalation.sweep(session, now=now, actor="demo")
    session.flush()
