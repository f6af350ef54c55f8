"""Synthetic demo data: a bank's client file, staff, four past waves with answers, one wave in field."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from survey.models import Branch, Client, Invitation, Wave
from survey.services import invitations, questionnaires, responses, tiers, users, waves
from survey.services.demo import fieldwork as demo_fieldwork
from survey.services.demo import followup as demo_followup
from survey.services.demo import past as demo_past
from survey.services.fieldwork.queue import FIELD_MODES
from survey.services.lifecycle import transitions as lifecycle
from survey.services.samples import draw as sampling_draw
from survey.services.samples import plan as sampling_plan

BRANCHES = (("BJ01", "北京朝阳支行 Beijing Chaoyang"), ("SH01", "上海浦东支行 Shanghai Pudong"), ("GZ01", "广州天河支行 Guangzhou Tianhe"))
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈")
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红玉兰海峰晨阳欣怡子涵宇轩浩然")
# tier share of the client file and the mean overall satisfaction at the first past wave
TIER_SHARE = {"private": 0.006, "diamond": 0.024, "platinum": 0.07, "gold": 0.25, "standard": 0.65}
TIER_RANGE = {"private": (6e6, 5e7), "diamond": (2e6, 6e6), "platinum": (5e5, 2e6), "gold": (5e4, 5e5), "standard": (100, 5e4)}
TIER_MEAN = {"private": 4.45, "diamond": 4.25, "platinum": 4.05, "gold": 3.85, "standard": 3.7}
TIER_DRIFT = {"private": 0.03, "diamond": 0.0, "platinum": 0.02, "gold": -0.02, "standard": -0.08}
PAST_WAVES = (("2025-Q4", dt.date(2025, 10, 1)), ("2026-Q1", dt.date(2026, 1, 1)),
              ("2026-Q2", dt.date(2026, 4, 1)), ("2026-Q3", dt.date(2026, 7, 1)))
CURRENT_WAVE = ("2026-Q4", dt.date(2026, 10, 1))
STAFF = (
    ("admin", "admin", "系统管理员 Admin", None, None),
    ("supervisor", "supervisor", "督导 Supervisor", "SUP01", "BJ01"),
    ("quality", "quality", "质量分析 Quality analyst", "QA01", None),
    ("interviewer1", "interviewer", "访员一 Interviewer 1", "INT01", "BJ01"),
    ("interviewer2", "interviewer", "访员二 Interviewer 2", "INT02", "SH01"),
    ("interviewer3", "interviewer", "访员三 Interviewer 3", "INT03", "GZ01"),
    ("branchhead", "branch_head", "支行行长 Branch head", "BH01", "BJ01"),
)
# the demo bank leaves 75 days between contacts (the default is 90): a quarterly wave then re-draws the
# clients its predecessor reached in its first weeks, so even the smallest tier is heard every quarter,
# while those contacted later are still cooled off (the draw record counts them)
WAVE_SETTINGS = {"web_enabled": True, "cool_off_days": 75}
RESPONSE_RATE = {"private": 0.55, "diamond": 0.6, "platinum": 0.62, "gold": 0.55, "standard": 0.45}


@dataclass(frozen=True)
class DemoResult:
    clients: int
    passwords: dict[str, str]
    links: list[str]


def _clients(rng: np.random.Generator, n: int) -> list[dict]:
    codes = np.array(list(TIER_SHARE))
    tier = rng.choice(len(codes), size=n, p=np.array(list(TIER_SHARE.values())))
    lo = np.array([TIER_RANGE[c][0] for c in codes])[tier]
    hi = np.array([TIER_RANGE[c][1] for c in codes])[tier]
    contribution = np.round(np.exp(rng.uniform(np.log(lo), np.log(hi) - 1e-9)), 2)
    branch = rng.integers(0, len(BRANCHES), size=n)
    manager = branch * 4 + rng.integers(0, 4, size=n)
    has_phone = rng.random(n) > 0.04
    has_email = rng.random(n) < 0.45
    prefers_web = has_email & (rng.random(n) < 0.15)  # these clients asked to be surveyed by e-mail
    rows = []
    for i in range(n):
        name = SURNAMES[rng.integers(len(SURNAMES))] + "".join(GIVEN[j] for j in rng.integers(len(GIVEN), size=1 + (i % 2)))
        rows.append(dict(
            client_no=f"C{100000 + i}", name=name,
            phone=f"1{rng.integers(3, 10)}{rng.integers(0, 10**9):09d}" if has_phone[i] else None,
            email=f"client{i}@example.com" if has_email[i] else None,
            branch_code=BRANCHES[branch[i]][0], manager_code=f"RM{manager[i] + 1:03d}",
            manager_name=f"客户经理{manager[i] + 1:02d}", contribution=float(contribution[i]),
            tier_code=None, preferred_mode="web" if prefers_web[i] else None,
            opted_out=bool(rng.random() < 0.01), account_closed=bool(rng.random() < 0.005),
        ))
    return rows


def _answers_for(rng, questions, tier_code: str, wave_index: int, manager_effect: float) -> dict[str, float | str]:
    base = TIER_MEAN[tier_code] + TIER_DRIFT[tier_code] * wave_index + manager_effect
    latent = base + rng.normal(0, 0.75)
    values: dict[str, float | str] = {}
    for q in questions:
        if q.type == "satisfaction5":
            noise = 0 if q.is_overall else rng.normal(0, 0.55)
            if not q.required and rng.random() < 0.2:
                continue
            values[q.code] = float(np.clip(np.rint(latent + noise), 1, 5))
        elif q.type == "nps10":
            values[q.code] = float(np.clip(np.rint((latent - 1) * 2.5 + rng.normal(0.5, 1.3)), 0, 10))
        elif q.type == "single" and q.code == "contact_request":
            values[q.code] = "yes" if latent < 2.3 and rng.random() < 0.6 else "no"
        elif q.type == "text" and latent < 2.6 and rng.random() < 0.5:
            values[q.code] = rng.choice(["等候时间太长。", "客户经理很久没有联系我。", "手机银行经常无法登录。", "The fees were not explained."])
    return values


def _current_web(session, rng, drawn, questions, w_index, manager_effect, manager_of,
                 opened: dt.datetime) -> list[str]:
    """The wave in field's web links: a quarter answered through the survey form's service, and up to six
    others left open, with fresh links to print (issued now, so they have not expired)."""
    web = [inv for inv in drawn if inv.mode == "web"]
    shown = web[:6]
    links = [invitations.issue_token(inv, int(waves.wave_settings(inv.wave)["token_ttl_days"])) for inv in shown]
    for inv in web[6:]:
        if rng.random() > 0.25:
            continue
        values = _answers_for(rng, questions, inv.tier_code, w_index, manager_effect[manager_of[int(inv.client_id)]])
        submitted = opened + dt.timedelta(days=float(rng.uniform(0, 40)))
        responses.submit(session, inv, questions, values, mode="web", locale="zh_CN", now=submitted)
    return links


def build(session: Session, *, n_clients: int = 20000, seed: int = 20261128,
          progress: Callable[[str, int, int], None] | None = None) -> DemoResult:
    """Fill an empty database with the demo; returns the staff passwords and a few open links."""
    rng = np.random.default_rng(seed)
    step = progress or (lambda *_: None)
    scheme = tiers.ensure_default_scheme(session)
    qn = questionnaires.ensure_default(session)
    passwords = {}
    for username, role, display, code, branch in STAFF:
        pw = f"demo-{secrets.token_urlsafe(9)}"  # made per build: no published password
        users.create_user(session, username, pw, role, display_name=display, employee_code=code,
                          branch_code=branch, actor="demo")
        passwords[username] = pw
    session.execute(insert(Branch), [dict(code=c, name=n) for c, n in BRANCHES])
    step("clients", 0, n_clients)
    rows = _clients(rng, n_clients)
    codes = tiers.tier_codes(np.array([r["contribution"] for r in rows]), scheme)
    for r, code in zip(rows, codes, strict=True):
        r["tier_code"] = code
    for start in range(0, len(rows), 5000):
        session.execute(insert(Client), rows[start:start + 5000])
        step("clients", min(start + 5000, n_clients), n_clients)
    session.flush()
    clients = session.execute(select(Client.id, Client.manager_code)).all()
    manager_effect = {f"RM{i:03d}": float(rng.normal(0, 0.15)) for i in range(1, 13)}
    manager_of = {c[0]: c[1] for c in clients}
    questions = list(qn.questions)
    by_id = {q.code: q.id for q in questions}
    position = {t.code: t.position for t in scheme.tiers}
    # each wave is drawn by the sampling service: +-10 points per tier, equal allocation, a reserve kept
    plan = sampling_plan.PlanParams(margin=0.1, method="equal", minimum=30, reserve_share=0.5)
    links: list[str] = []
    all_waves = [*PAST_WAVES, CURRENT_WAVE]
    for w_index, (name, start) in enumerate(all_waves):
        step("waves", w_index, len(all_waves))
        end = (start + dt.timedelta(days=92)).replace(day=1) - dt.timedelta(days=1)
        wave = waves.create_wave(session, name=name, period_start=start, period_end=end, actor="demo",
                                 settings=WAVE_SETTINGS)
        current = (name, start) == CURRENT_WAVE
        opened = dt.datetime.combine(start, dt.time(9), tzinfo=dt.UTC) + dt.timedelta(days=3)
        sampling_draw.draw_sample(session, wave, "demo", seed=int(rng.integers(0, 2**62)), params=plan, now=opened,
                                  confirm=True)  # the demo supervisor confirms its plan
        lifecycle.open_fieldwork(session, wave, "demo", now=opened)  # no mail: the demo prints a few links
        drawn = session.scalars(select(Invitation).where(Invitation.wave_id == wave.id,
                                                         Invitation.status == "open")).all()
        drawn = sorted(drawn, key=lambda i: (position[i.tier_code], i.release_rank))
        if current:
            links = _current_web(session, rng, drawn, questions, w_index, manager_effect, manager_of, opened)
            demo_past.assign(session, rng, wave)
            for inv in drawn:  # the first weeks in the field: a quarter of the phone and visit cases interviewed
                if inv.mode in FIELD_MODES and rng.random() < 0.25:
                    values = _answers_for(rng, questions, inv.tier_code, w_index,
                                          manager_effect[manager_of[int(inv.client_id)]])
                    first = opened + dt.timedelta(days=float(rng.uniform(0, 40)))
                    demo_past.interview(session, rng, inv, values, first)
            session.flush()
            demo_fieldwork.build(session, rng, wave)
            continue
        demo_past.assign(session, rng, wave)
        wave_id = wave.id
        for chunk, staff in demo_past.in_chunks(session, [inv.id for inv in drawn]):
            for inv in chunk:
                answered = rng.random() <= RESPONSE_RATE[inv.tier_code]
                first = opened + dt.timedelta(days=float(rng.uniform(0, 30)))
                who, at = demo_past.work_case(session, rng, inv, staff, answered, first)
                if answered:
                    values = _answers_for(rng, questions, inv.tier_code, w_index,
                                          manager_effect[manager_of[int(inv.client_id)]])
                    demo_past.store_response(session, inv, values, by_id, who, at)
        lifecycle.close_fieldwork(session, session.get(Wave, wave_id), "demo",
                                  now=dt.datetime.combine(end, dt.time(18), tzinfo=dt.UTC))
        session.flush()
    step("waves", len(all_waves), len(all_waves))
    demo_followup.build(session, rng)
    return DemoResult(n_clients, passwords, links)
