"""The demo's fieldwork builder leaves a consistent working day behind."""

import numpy as np

from survey.models import ContactAttempt, Invitation, Response
from survey.services.demo import fieldwork as demo_fieldwork
from survey.services.fieldwork import dashboard
from tests.factories_fieldwork import IN_HOURS, branch, field_case, field_wave, interviewer


def test_demo_fieldwork_assigns_and_records_histories(db):
    for code in ("BJ01", "SH01", "GZ01"):
        branch(db, code)
    staff = [interviewer(db, code=f"INT0{k}", branch_code=b) for k, b in ((1, "BJ01"), (2, "SH01"), (3, "GZ01"))]
    wave = field_wave(db)
    for k in range(60):
        field_case(db, wave, mode=("phone", "in_person")[k % 2], branch_code=("BJ01", "SH01", "GZ01")[k % 3],
                   manager_code=f"RM{k % 12 + 1:03d}")
    db.commit()
    demo_fieldwork.build(db, np.random.default_rng(7), wave, now=IN_HOURS)
    db.commit()
    cases = db.query(Invitation).filter_by(wave_id=wave.id).all()
    assert all(inv.assigned_to in {u.id for u in staff} for inv in cases)
    attempts = db.query(ContactAttempt).count()
    assert attempts == sum(inv.attempts for inv in cases) > 0
    assert any(inv.appointment_at and inv.appointment_at > IN_HOURS for inv in cases)
    board = dashboard.build(db, wave, now=IN_HOURS)
    assert board.total.sampled == 60 and board.total.attempted > 0
    assert all(inv.attempts < 6 for inv in cases if inv.status == "open")
    interviews = db.query(Response).filter(Response.interviewer_id.isnot(None)).all()
    assert interviews and all(r.mode in ("phone", "in_person") for r in interviews)
    assert board.total.completed == len(interviews)
