"""Questionnaire files round trip exactly: export, then load, gives the same version; a change gives a new one."""

import json

from sqlalchemy import func, select

from survey.models import Questionnaire
from survey.services import questionnaires

EXAMPLE = questionnaires.DEFAULT_FILE.parent / "examples" / "conditional.yaml"


def versions(db, code):
    db.rollback()
    return db.scalar(select(func.count()).select_from(Questionnaire).where(Questionnaire.code == code))


def test_export_then_load_gives_the_same_version_byte_for_byte(runner, db, tmp_path):
    r = runner.invoke(args=["load-questionnaire", str(EXAMPLE)])
    assert r.exit_code == 0 and "conditional_example version 1: new waves use it" in r.output
    for fmt in ("yaml", "json"):
        first = tmp_path / f"first.{fmt}"
        r = runner.invoke(args=["export-questionnaire", "conditional_example", "--format", fmt, "-o", str(first)])
        assert r.exit_code == 0, r.output
        r = runner.invoke(args=["load-questionnaire", str(first)])
        assert r.exit_code == 0 and "conditional_example version 1: unchanged" in r.output, r.output
        assert versions(db, "conditional_example") == 1
        again = runner.invoke(args=["export-questionnaire", "conditional_example", "--version", "1", "--format", fmt])
        assert again.exit_code == 0
        assert again.stdout_bytes == first.read_bytes()  # a second export is the same file
        stored = db.scalar(select(Questionnaire.definition).where(Questionnaire.code == "conditional_example"))
        assert first.read_bytes() == questionnaires.dump(stored, fmt).encode("utf-8")
        assert questionnaires.load_file(first) == stored
    data = json.loads((tmp_path / "first.json").read_text(encoding="utf-8"))
    data["questions"][0]["text"]["en"] = "Overall, are you satisfied?"
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    r = runner.invoke(args=["load-questionnaire", str(changed)])
    assert r.exit_code == 0 and "conditional_example version 2: new waves use it" in r.output
    assert versions(db, "conditional_example") == 2
    old = runner.invoke(args=["export-questionnaire", "conditional_example", "--version", "1", "--format", "json"])
    assert old.stdout_bytes == (tmp_path / "first.json").read_bytes()  # the old version is kept as it was


def test_export_of_an_unknown_questionnaire_is_refused(runner, db):
    r = runner.invoke(args=["export-questionnaire", "nope"])
    assert r.exit_code != 0 and "no questionnaire with code 'nope'" in r.output
    r = runner.invoke(args=["export-questionnaire", "nope", "--version", "0"])
    assert r.exit_code != 0
