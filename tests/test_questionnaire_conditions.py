"""show_if conditions: the evaluator, and the checker naming the question and the field; the new question types."""

import pytest

from survey.errors import ValidationFailed
from survey.services import conditions, questionnaires

EXAMPLE = questionnaires.DEFAULT_FILE.parent / "examples" / "conditional.yaml"


def base(*extra):
    return {
        "code": "q",
        "title": {"zh": "问卷", "en": "Survey"},
        "questions": [
            {"code": "overall", "type": "satisfaction5", "overall": True, "text": {"zh": "总体", "en": "Overall"}},
            {"code": "nps", "type": "nps10", "text": {"zh": "推荐", "en": "Recommend"}},
            {"code": "pick", "type": "single", "text": {"zh": "选", "en": "Pick"},
             "options": [{"code": "a", "label": {"zh": "甲", "en": "A"}}, {"code": "b", "label": {"zh": "乙", "en": "B"}}]},
            *extra,
        ],
    }


def follow(show_if, **more):
    return {"code": "why", "type": "text", "text": {"zh": "为什么", "en": "Why"}, "show_if": show_if, **more}


def problems_of(data):
    with pytest.raises(ValidationFailed) as exc:
        questionnaires.validate(data, source="t.yaml")
    return exc.value.problems


@pytest.mark.parametrize("cond, answers, expected", [
    ({"question": "overall", "in": [1, 2]}, {"overall": "2"}, True),
    ({"question": "overall", "in": [1, 2]}, {"overall": "3"}, False),
    ({"question": "overall", "in": [1, 2]}, {}, False),
    ({"question": "nps", "lte": 6}, {"nps": "6"}, True),
    ({"question": "nps", "lte": 6}, {"nps": "7"}, False),
    ({"question": "nps", "gte": 9}, {"nps": "10"}, True),
    ({"question": "nps", "lte": 6}, {"nps": "na"}, False),
    ({"question": "nps", "in": ["na"]}, {"nps": "na"}, True),
    ({"question": "pick", "eq": "a"}, {"pick": "a"}, True),
    ({"question": "many", "in": ["x"]}, {"many": ["y", "x"]}, True),
    ({"question": "many", "in": ["x"]}, {"many": ["y"]}, False),
    ({"question": "n", "gte": 1.5}, {"n": "1.50"}, True),
    ({"question": "n", "eq": 2}, {"n": "2.0"}, True),
    ({"question": "why", "answered": True}, {"why": "text"}, True),
    ({"question": "why", "answered": False}, {"why": ""}, True),
    ({"question": "why", "answered": True}, {"why": []}, False),
    ({"all": [{"question": "overall", "lte": 2}, {"any": [{"question": "nps", "lte": 6}, {"question": "pick", "eq": "b"}]}]},
     {"overall": "1", "nps": "9", "pick": "b"}, True),
    ({"all": [{"question": "overall", "lte": 2}, {"any": [{"question": "nps", "lte": 6}, {"question": "pick", "eq": "b"}]}]},
     {"overall": "1", "nps": "9", "pick": "a"}, False),
    ({"any": [{"all": [{"question": "overall", "gte": 4}]}, {"question": "nps", "answered": False}]},
     {"overall": "2"}, True),
])
def test_evaluator(cond, answers, expected):
    assert conditions.evaluate(cond, answers) is expected


def test_a_hidden_question_counts_as_unanswered_for_later_ones():
    class Q:
        def __init__(self, code, show_if=None):
            self.code, self.show_if = code, show_if

    qs = [Q("overall"), Q("why", {"question": "overall", "lte": 2}), Q("more", {"question": "why", "answered": True})]
    assert conditions.visible(qs, {"overall": "5", "why": "posted anyway", "more": "x"}) == {"overall"}
    assert conditions.visible(qs, {"overall": "1", "why": "slow"}) == {"overall", "why", "more"}


@pytest.mark.parametrize("show_if, expected", [
    ({"question": "nope", "in": [1]}, "question 'why': field 'show_if': question 'nope' is not a question"),
    ({"question": "later", "in": [1]}, "question 'why': field 'show_if': question 'later' comes later"),
    ({"question": "why", "answered": True}, "question 'why': field 'show_if': question 'why' comes later"),
    ({"question": "overall", "like": [1]}, "question 'why': field 'show_if': needs exactly one operator"),
    ({"question": "overall", "in": [1], "lte": 2}, "question 'why': field 'show_if': needs exactly one operator"),
    ({"question": "overall", "in": [0, 6]}, "question 'why': field 'show_if': 0, 6 is not an answer of 'overall'"),
    ({"question": "nps", "lte": 11}, "question 'why': field 'show_if': 'lte' needs a number on the scale of 'nps'"),
    ({"question": "pick", "in": ["c"]}, "question 'why': field 'show_if': 'c' is not an answer of 'pick'"),
    ({"question": "pick", "lte": 1}, "question 'why': field 'show_if': 'lte' needs a number"),
    ({"question": "overall", "in": ["na"]}, "'na' is not an answer of 'overall'"),
    ({"all": []}, "question 'why': field 'show_if': 'all' takes a non-empty list"),
    ({"any": [{"question": "overall", "in": [1]}, {"question": "x", "eq": 1}]},
     "question 'why': field 'show_if'.any[2]: question 'x' is not a question"),
    ("overall < 3", "question 'why': field 'show_if': must be a mapping"),
])
def test_condition_errors_name_question_and_field(show_if, expected):
    later = {"code": "later", "type": "satisfaction5", "text": {"zh": "后", "en": "Later"}}
    problems = problems_of(base(follow(show_if), later))
    assert any(expected in p for p in problems), problems


def test_new_types_are_checked_by_field():
    grid = {"code": "g", "type": "grid", "scale": "stars", "text": {"zh": "格", "en": "Grid"},
            "items": [{"code": "a", "text": {"zh": "甲", "en": "A"}}, {"code": "a", "text": {"zh": "乙"}}]}
    number = {"code": "n", "type": "number", "min": 5, "max": 1.5, "text": {"zh": "数", "en": "Number"}}
    bad_na = {"code": "t", "type": "text", "na": True, "text": {"zh": "文", "en": "Text"}}
    on_grid = follow({"question": "g", "in": [1]})
    problems = problems_of(base(grid, number, bad_na, on_grid))
    for expected in ("question 'g': field 'scale' must be one of satisfaction5, nps10",
                     "question 'g': item 2 needs a unique 'code'", "question 'g': item 2 field 'text'",
                     "question 'n': field 'max' must be a whole number when 'decimals' is 0",
                     "question 'n': field 'min' must be below field 'max'",
                     "question 't': field 'na' only applies to", "'g' is a grid; name one of its items"):
        assert any(expected in p for p in problems), (expected, problems)


def test_example_uses_every_feature_and_grid_items_become_questions():
    d = questionnaires.load_file(EXAMPLE)
    types = {q["type"] for q in d["questions"]}
    assert {"grid", "number", "single", "multiple", "nps10", "text"} <= types
    assert any(q.get("na") for q in d["questions"]) and any("all" in str(q.get("show_if")) for q in d["questions"])
    rows = questionnaires.answer_rows(d)
    items = [r for r in rows if r.get("grid") == "services"]
    assert [r["code"] for r in items] == ["services.counter", "services.online", "services.atm"]
    assert all(r["type"] == "satisfaction5" and r["na"] and r["options"] == [{"grid": "services"}] for r in items)
    assert questionnaires.validate(d) == d  # normalising a normalised definition changes nothing


def test_codes_fit_the_question_table():
    grid = {"code": "g" * 60, "type": "grid", "scale": "nps10", "text": {"zh": "格", "en": "Grid"},
            "items": [{"code": "item", "text": {"zh": "甲", "en": "A"}}]}
    problems = problems_of(base(grid))
    assert any(f"question '{'g' * 60}': item 1 field 'code'" in p and "longer than 64" in p for p in problems), problems
