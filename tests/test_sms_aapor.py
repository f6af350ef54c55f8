"""AAPOR dispositions of web cases invited by SMS: delivered and unanswered 2.20 (non-contact), never
delivered 3.30 (unknown eligibility), sent without a receipt 3.90, as an e-mailed link; and the
response-rate page counts them in their groups."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

import analysis
from survey.models import Client, Invitation, Wave
from survey.services.fieldwork import outcomes
from tests.conftest import login
from tests.factories import make_user
from tests.fake_sms_gateway import FakeGateway
from tests.test_sms_fieldwork import ok, post, wave_in_field


@pytest.mark.parametrize("history,emailed,code", [
    (["sent", "delivered"], False, "2.20"),
    (["not_delivered", "delivered"], False, "2.20"),  # a later text got through: the number works
    (["not_delivered", "not_delivered"], False, "3.30"),
    (["not_delivered"], True, "3.90"),  # an e-mail went out too: nothing is known of it
    (["not_delivered", "sent"], False, "3.90"),  # the last text may have arrived
    (["sent"], False, "3.90"),
    ([], False, "3.90"),  # e-mailed only
])
def test_web_disposition_rule(history, emailed, code):
    assert outcomes.closing_disposition("web", history, attempts=0, max_attempts=6, mailed=True,
                                        emailed=emailed) == code


def test_web_case_never_sent_is_not_attempted():
    assert outcomes.closing_disposition("web", [], attempts=0, max_attempts=6, mailed=False) == "3.11"


def test_the_new_codes_fall_in_their_aapor_groups():
    counts = analysis.disposition_counts(["2.20", "3.30", "3.90", "1.1"]).as_dict()
    assert (counts["NC"], counts["UO"], counts["I"], counts["UH"], counts["NE"]) == (1, 2, 1, 0, 0)
    assert outcomes.aapor_group("2.20") == "NC" and outcomes.aapor_group("3.30") == "U"
    # not offered to interviewers: given only by the close of fieldwork
    interim, final = outcomes.choices("phone")
    assert not {"2.20", "3.30"} & {o.code for o in final}


def test_closing_a_wave_classifies_its_sms_cases_and_the_rates_count_them(app, db, runner, client, tmp_path):
    with FakeGateway() as gateway:
        app.config.update(SMS_URL=gateway.url, SMS_WEBHOOK_SECRET="webhook-secret")
        wave_in_field(runner, tmp_path)
        ok(runner, "send-invitations", "2026-Q4")
        by_number = {m["to"]: f"gw-{i}" for i, m in enumerate(gateway.received, 1)}
    delivered, failed, silent = by_number["+8613800000001"], by_number["+8613800000003"], by_number["+8613800000004"]
    assert post(client, "/hooks/sms/receipt", {"message_id": delivered, "status": "delivered"}).status_code == 200
    assert post(client, "/hooks/sms/receipt", {"message_id": failed, "status": "failed",
                                               "reason": "number does not exist"}).status_code == 200
    del silent  # no receipt ever comes for it
    out = ok(runner, "close-fieldwork", "2026-Q4")
    assert "2.20: 1" in out and "3.30: 1" in out and "3.90: 3" in out
    db.expire_all()
    wave = db.scalar(select(Wave).where(Wave.name == "2026-Q4"))
    codes = dict(db.execute(select(Client.client_no, Invitation.disposition).join(Client)
                            .where(Invitation.wave_id == wave.id)).all())
    assert codes == {"S001": "2.20", "S002": "3.90", "S003": "3.30", "S004": "3.90", "S005": "3.90"}
    make_user(db, "quality", username="qa")
    db.commit()
    assert login(client, "qa").status_code == 302
    client.get("/login?lang=en")
    page = client.get(f"/quality/response?wave={wave.id}&by=mode")
    assert page.status_code == 200
    rows = list(csv.reader(io.StringIO(client.get(f"/quality/response?wave={wave.id}&by=mode&format=csv")
                                       .data.decode("utf-8-sig"))))
    head = next(r for r in rows if "NC" in r)
    whole = rows[rows.index(head) + 1]
    counts = dict(zip(head, whole, strict=True))
    assert (counts["Cases"], counts["NC"], counts["UO"], counts["UH"], counts["NE"]) == ("5", "1", "4", "0", "0")
    # CON1 = (I+P+R+O) / all = 0 and RR1 = 0, defined: nobody answered, five cases in the denominator
    rates_head = next(r for r in rows if "RR1" in r)
    rates = dict(zip(rates_head, rows[rows.index(rates_head) + 1], strict=True))
    assert rates["RR1"] == "0.0" and rates["CON1"] == "0.0"
