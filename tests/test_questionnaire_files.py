"""Questionnaire files: the shipped default is valid; errors name the question and the field."""

import json

import pytest

from survey.errors import ValidationFailed
from survey.services import questionnaires


def base():
    return {
        "code": "q",
        "title": {"zh": "问卷", "en": "Survey"},
        "questions": [
            {"code": "overall", "type": "satisfaction5", "overall": True, "text": {"zh": "总体", "en": "Overall"}},
            {"code": "pick", "type": "single", "text": {"zh": "选", "en": "Pick"},
             "options": [{"code": "a", "label": {"zh": "甲", "en": "A"}}, {"code": "b", "label": {"zh": "乙", "en": "B"}}]},
        ],
    }


def problems_of(data):
    with pytest.raises(ValidationFailed) as exc:
        questionnaires.validate(data, source="t.yaml")
    return exc.value.problems


def test_default_questionnaire_is_valid_and_complete():
    d = questionnaires.load_file(questionnaires.DEFAULT_FILE)
    types = [q["type"] for q in d["questions"]]
    assert sum(q["overall"] for q in d["questions"]) == 1
    assert types.count("satisfaction5") == 9  # overall + eight service items
    assert {"nps10", "text", "single"} <= set(types)
    assert all(q["text"]["zh"] and q["text"]["en"] for q in d["questions"])


def test_missing_english_label_names_question_and_field():
    data = base()
    del data["questions"][1]["text"]["en"]
    assert problems_of(data) == ["t.yaml: question 'pick': field 'text': needs a non-empty label in each of zh and en"]


def test_unknown_type_and_bad_options_are_named():
    data = base()
    data["questions"][1]["type"] = "slider"
    data["questions"].append({"code": "multi", "type": "multiple", "text": {"zh": "多", "en": "Many"},
                              "options": [{"code": "x", "label": {"zh": "x", "en": "x"}}]})
    got = problems_of(data)
    assert any("question 'pick': field 'type' must be one of" in p for p in got)
    assert any("question 'pick': field 'options' only applies" in p for p in got)
    assert any("question 'multi': field 'options' needs at least two options" in p for p in got)


def test_exactly_one_overall_question_and_unique_codes():
    data = base()
    data["questions"][0]["overall"] = False
    data["questions"][1]["code"] = "overall"
    got = problems_of(data)
    assert "t.yaml: question 'overall': code is used twice" in got
    assert "t.yaml: exactly one question must be marked 'overall: true'" in got


def test_json_file_loads_and_broken_file_says_so(tmp_path):
    good = tmp_path / "q.json"
    good.write_text(json.dumps(base(), ensure_ascii=False), encoding="utf-8")
    assert questionnaires.load_file(good)["code"] == "q"
    bad = tmp_path / "broken.yaml"
    bad.write_text("code: [unclosed", encoding="utf-8")
    with pytest.raises(ValidationFailed, match="broken.yaml: not valid YAML"):
        questionnaires.load_file(bad)


def test_saving_the_same_definition_twice_keeps_one_version(db):
    d = questionnaires.validate(base())
    first = questionnaires.save(db, d)
    assert questionnaires.save(db, d).id == first.id
    d2 = questionnaires.validate({**base(), "title": {"zh": "问卷二", "en": "Survey 2"}})
    assert questionnaires.save(db, d2).version == first.version + 1


def test_cli_loads_a_questionnaire_that_new_waves_then_use(runner, db, tmp_path):
    import yaml

    from tests.factories import make_wave

    bad = base()
    del bad["questions"][0]["overall"]
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(bad, allow_unicode=True), encoding="utf-8")
    r = runner.invoke(args=["load-questionnaire", str(path)])
    assert r.exit_code == 1 and "exactly one question must be marked" in r.output
    path = tmp_path / "branch_survey.yaml"
    path.write_text(yaml.safe_dump({**base(), "code": "branch_visit"}, allow_unicode=True), encoding="utf-8")
    r = runner.invoke(args=["load-questionnaire", str(path)])
    assert r.exit_code == 0, r.output
    assert "questionnaire branch_visit version 1" in r.output
    db.rollback()
    assert make_wave(db).questionnaire.code == "branch_visit"
