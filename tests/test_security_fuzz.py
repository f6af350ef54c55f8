"""Fuzzing every form and numeric URL part (issue 11): random strings, unicode digits, huge numbers, NUL
bytes and over-long values, posted to every public and staff route and put in every URL parameter.
No answer may be a 5xx.  Runs on the suite's database (SQLite, or PostgreSQL with SURVEY_DATABASE_URL)."""

from __future__ import annotations

import datetime as dt
import os
import re
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from survey.db import session_scope
from survey.services.followup import cases as followup_cases
from tests.conftest import login
from tests.factories import make_client, make_invitation, make_user
from tests.factories_fieldwork import field_case, field_wave, interviewer

EXAMPLES = int(os.environ.get("SURVEY_FUZZ_EXAMPLES", "1000"))  # per test; two tests per database
NASTY = ["²", "１２３", "٣", "𝟗", "9" * 5000, "9" * 25, "18446744073709551616", "-1", "0", "1e999", "1e30",
         "nan", "NaN", "inf", "-inf", "\x00", "a\x00b", "x" * 3000, "名" * 300, "0001-01-01", "9999-12-31",
         "0001-01-01T00:00", "2026-02-30T25:61", "1899-12-31", "2101-01-01", "' OR 1=1 --", "<script>x</script>",
         "", " ", "\u202e", "\r\n", "\r", "true", "[]", "=1+2", "@SUM(A1)", "%s%n", "{{7*7}}", "../..", "-0", "0x10"]
FIELDS = ["action", "appointment_at", "branch", "by", "channel", "clear", "client_no", "client_nos", "confidence",
          "count", "escalation_delay_hours", "feedback_at", "feedback_how", "format", "group", "ids", "lang",
          "margin", "measure", "method", "minimum", "mode", "name", "next", "note", "order", "outcome", "overdue",
          "owner", "owner_id", "password", "period_end", "period_start", "reaction", "reaction_note", "reason",
          "reserve_share", "retier", "root_cause", "root_causes", "seed", "send_winback", "show", "sort", "step",
          "summary", "take_all", "tier", "to", "topic", "total", "username", "wave", "web_enabled", "analysis",
          "actions", "q_overall", "q_recommend", "q_courtesy", "q_contact_request", "q_comment", "name_zh_0",
          "name_en_0", "min_0", "mode_0", "sla_0", "min_1", "sla_1", "display_name", "employee_code", "capacity",
          "active", "q", "address", "confirm"]
SKIP = {"static", "auth.logout"}  # logging out would end the fuzzing session

values = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=30),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.text(alphabet=st.characters(categories=("Nd", "No")), min_size=1, max_size=8),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)
forms = st.dictionaries(st.sampled_from(FIELDS), values, max_size=10)
BAD_IDS = ["99999999999999999999999", "9223372036854775808", "9223372036854775807", "0", "²", "１", "-1", "%00",
           "1e3", "1.5"]


@pytest.fixture
def world(app):
    """Something real behind each kind of id: a wave in field with cases, a follow-up case, a survey link."""
    with app.app_context(), session_scope(app) as s:
        make_user(s, "admin", username="fuzz_admin")
        me = interviewer(s, username="fuzz_iv")
        wave = field_wave(s, calling_hours=[0, 24])
        cases = [field_case(s, wave, assigned_to=me), field_case(s, wave, mode="in_person")]
        _inv, token = make_invitation(s, wave, make_client(s))
        case, _opened = followup_cases.open_case(s, client=make_client(s), topic="service", channel="phone",
                                                 actor="test", now=dt.datetime.now(dt.UTC), summary="fuzz")
        ids = [str(wave.id), str(case.id), *(str(c.id) for c in cases), str(me.id)]
    return {"ids": ids, "token": token}


def url_for_rule(rule, data, ids: list[str], token: str) -> str:
    url = rule.rule
    for arg in rule.arguments:
        conv = rule._converters.get(arg)
        if type(conv).__name__ in ("IdConverter", "IntegerConverter"):
            value = data.draw(st.one_of(st.sampled_from(ids), st.sampled_from(BAD_IDS),
                                        st.integers(0, 2**70).map(str)))
        elif arg == "token":
            value = data.draw(st.one_of(st.just(token), values))
        elif arg == "fmt":
            value = data.draw(st.sampled_from(["csv", "xlsx", "sav", "pdf", "²"]))
        else:
            value = data.draw(values)
        url = re.sub(rf"<(?:[^:<>]+:)?{arg}>", quote(value, safe="") or "x", url)
    return url


def fuzz(client, app, world, data, rules) -> None:
    rule, method = data.draw(st.sampled_from(rules))
    url = url_for_rule(rule, data, world["ids"], world["token"])
    form = data.draw(forms)
    if method == "GET":
        r = client.get(url, query_string=form)
    else:
        r = client.open(url, method=method, data=form)
    assert r.status_code < 500, (method, url, form, r.status_code, r.get_data(as_text=True)[:300])
    r.close()


def routes(app, *, public: bool):
    out = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIP:
            continue
        is_public = rule.endpoint.startswith(("public.", "auth.")) or rule.endpoint in ("index", "healthz")
        if is_public == public:
            out.extend((rule, m) for m in sorted(rule.methods - {"HEAD", "OPTIONS"}))
    return sorted(out, key=lambda rm: (rm[0].rule, rm[1]))


FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])


@FUZZ
@given(data=st.data())
def test_fuzz_public_routes(app, client, world, data):
    app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] = 10**9  # the address throttle is not what is fuzzed here
    fuzz(client, app, world, data, routes(app, public=True))


@pytest.fixture
def admin_client(app, world):
    c = app.test_client()
    assert login(c, "fuzz_admin").status_code == 302
    return c


@FUZZ
@given(data=st.data())
def test_fuzz_staff_routes(app, admin_client, world, data):
    fuzz(admin_client, app, world, data, routes(app, public=False))
    # still signed in: a fuzzed request never ends the session
    assert admin_client.get("/healthz").status_code == 200
