"""'Not applicable' through analysis: left out of means, shown as a share on the drivers page and in exports;
grid items are items (each a variable); the .sav records the questionnaire code and version."""

import datetime as dt

import numpy as np
import pytest

from survey.services import questionnaires
from survey.services.quality import data as quality_data
from tests.factories import make_client, make_invitation
from tests.factories_quality import quality_wave, record_draw
from tests.test_conditional_form import WHEN_TRUE
from tests.test_quality_reports import table_rows

EXAMPLE = questionnaires.DEFAULT_FILE.parent / "examples" / "conditional.yaml"
ONLINE = ["na", "na", "2", "4", "5", "na", "3", "4"]  # 5 rated (mean 3.6), 3 not applicable


@pytest.fixture
def answered(runner, client, db):
    """The example questionnaire loaded by the CLI, eight clients answering through the form."""
    assert runner.invoke(args=["load-questionnaire", str(EXAMPLE)]).exit_code == 0
    db.rollback()
    wave = quality_wave(db, "2026-Q4", dt.date(2026, 10, 1))
    record_draw(db, wave, {"standard": 100})
    links = [make_invitation(db, wave, make_client(db, tier_code="standard")) for _ in ONLINE]
    db.commit()
    for (_inv, token), online, overall in zip(links, ONLINE, [1, 2, 3, 4, 5, 3, 4, 2], strict=True):
        form = {**WHEN_TRUE, "q_services.online": online, "q_overall": str(overall), "q_services.counter": str(6 - overall),
                "q_recommend_products.cards": "7", "q_recommend_products.loans": "na"}
        r = client.post(f"/s/{token}?lang=en", data=form)
        assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    db.rollback()
    return wave


def test_not_applicable_is_left_out_of_means_and_shown_as_a_share(answered, db, client, as_role):
    wave = answered
    items = quality_data.items_of(db, [wave.id])
    assert [i.code for i in items] == ["services.counter", "services.online", "services.atm"]  # grid items are items
    wd = quality_data.load_responses(db, [wave.id], items=items)[wave.id]
    online = wd.items["services.online"]
    assert int(np.isnan(online).sum()) == 3 and np.nanmean(online) == pytest.approx(3.6)
    as_role("quality")
    page = client.get(f"/quality/drivers?wave={wave.id}&lang=en").get_data(as_text=True)
    rows = table_rows(page, "drivers")
    assert rows["Online banking"][0][0] == "3.60"  # one tier, equal weights: the plain mean of the 5 ratings
    assert rows["Online banking"][1][0] == "5"  # respondents who rated it
    assert rows["Online banking"][-1] == ("38%", "n = 3")  # 3 of 8 answered "not applicable"
    assert rows["Cash machines"][-1][0] == "100%"  # every one said "not applicable"
    assert rows["Counter service"][-1][0] == "0%"
    csv = client.get(f"/quality/drivers?wave={wave.id}&lang=en&format=csv")
    assert csv.status_code == 200 and "0.3750" in csv.get_data(as_text=True)


def test_exports_carry_grid_items_na_and_the_questionnaire_version(answered, runner, db, tmp_path):
    import pandas as pd
    import pyreadstat

    out = tmp_path / "wave.sav"
    r = runner.invoke(args=["export", answered.name, "--format", "sav", "--out", str(out)])
    assert r.exit_code == 0, r.output
    frame, meta = pyreadstat.read_sav(str(out))
    assert meta.file_label == "questionnaire conditional_example version 1"
    assert set(frame["questionnaire_version"]) == {1.0} and set(frame["questionnaire"]) == {"conditional_example"}
    for item in ("services.counter", "services.online", "services.atm"):
        assert item in frame.columns and f"{item}_na" in frame.columns
    assert frame["services.online"].mean() == pytest.approx(3.6)
    assert int(frame["services.online_na"].sum()) == 3 and int(frame["services.atm_na"].sum()) == 8
    assert meta.variable_value_labels["services.online_na"][1.0] == "Not applicable 不适用"
    assert "recommend_products.cards" in frame.columns and "recommend_products.cards_na" in frame.columns
    assert list(frame["recommend_products.cards"].dropna()) == [7.0] * 8 and frame["recommend"].notna().all()
    csv_out = tmp_path / "wave.csv"
    assert runner.invoke(args=["export", answered.name, "--format", "csv", "--out", str(csv_out)]).exit_code == 0
    table = pd.read_csv(csv_out, encoding="utf-8-sig")
    assert list(table["services.online_na"].fillna(-1)).count(1) == 3 and set(table["questionnaire_version"]) == {1}


def test_the_cli_report_carries_the_service_items_with_their_not_applicable_share(answered, runner, tmp_path):
    wave = answered
    out = tmp_path / "report.html"
    result = runner.invoke(args=["report", wave.name, "--out", str(out), "--lang", "en"])
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert "<h2>Service items</h2>" in html and '<table id="drivers">' in html
    rows = table_rows(html, "drivers")
    assert rows["Online banking"][0][0] == "3.60" and rows["Online banking"][-1] == ("38%", "n = 3")
    assert rows["Cash machines"][-1][0] == "100%"
