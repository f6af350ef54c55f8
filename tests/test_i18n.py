"""Both languages: every message in the templates and views has a Simplified Chinese translation."""

import re
from pathlib import Path

from babel.messages.pofile import read_po

from survey import TEMPLATES
from survey.i18n import CATALOGS, catalog

ROOT = Path(__file__).resolve().parent.parent
CALL = re.compile(r"""\b_l?\(\s*(['"])(.+?)\1""")


def used_messages() -> set[str]:
    found = set()
    files = list(Path(TEMPLATES).rglob("*.html")) + list((ROOT / "survey").rglob("*.py"))
    for f in files:
        for m in CALL.finditer(f.read_text(encoding="utf-8")):
            found.add(m.group(2))
    return found


def test_every_message_has_a_chinese_translation():
    zh = catalog("zh_CN")
    missing = sorted(m for m in used_messages() if zh.gettext(m) == m)
    assert missing == []


def test_po_files_parse_and_have_no_duplicates():
    seen = {}
    for po in sorted((CATALOGS / "zh_CN").glob("*.po")):
        with po.open("rb") as fh:
            for msg in read_po(fh):
                if msg.id:
                    assert msg.id not in seen, f"{msg.id!r} in {po.name} and {seen[msg.id]}"
                    seen[msg.id] = po.name
    assert len(seen) > 50


def test_pages_switch_language(client):
    assert "员工登录" in client.get("/login?lang=zh_CN").get_data(as_text=True)
    assert "Staff sign in" in client.get("/login?lang=en").get_data(as_text=True)
    # the choice sticks for the session
    assert "Staff sign in" in client.get("/login").get_data(as_text=True)
