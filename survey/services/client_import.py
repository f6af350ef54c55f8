"""Client file import: every row checked, all of them upserted in one transaction, or none.

A file with any bad row imports nothing; the error names the file, line, field and reason
(the first 50).  Rows stream through in chunks of plain tuples inside a savepoint, so a
million-row file never becomes a million ORM objects and a late bad row undoes the early chunks.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

import numpy as np
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from survey.errors import ImportRejected
from survey.models import Branch, Client, StaffUser, utcnow
from survey.models.base import Money
from survey.services import audit, tiers

CHUNK = 5000
MAX_REPORTED = 50
FIELDS = ("client_no", "name", "phone", "email", "branch", "manager_code", "manager_name",
          "contribution", "opted_out", "account_closed", "preferred_mode", "address", "preferred_channel", "language")
REQUIRED = ("client_no", "name", "branch", "manager_code", "contribution")
ALIASES = {
    "客户号": "client_no", "客户编号": "client_no", "姓名": "name", "客户名称": "name",
    "电话": "phone", "手机": "phone", "手机号": "phone", "邮箱": "email", "电子邮件": "email",
    "网点": "branch", "支行": "branch", "客户经理工号": "manager_code", "客户经理": "manager_name",
    "贡献度": "contribution", "拒绝访问": "opted_out", "已销户": "account_closed", "偏好方式": "preferred_mode",
    "地址": "address", "联系地址": "address", "住址": "address",
    "首选渠道": "preferred_channel", "联系渠道": "preferred_channel", "首选联系渠道": "preferred_channel",
    "channel": "preferred_channel", "语言": "language", "沟通语言": "language",
}
# the values a client file may give for the preferred channel and the language, and what is stored
CHANNEL_VALUES = {"sms": "sms", "短信": "sms", "手机短信": "sms", "email": "email", "e-mail": "email", "邮件": "email",
                  "邮箱": "email", "电子邮件": "email"}
LANGUAGE_VALUES = {"zh": "zh_CN", "zh_cn": "zh_CN", "zh-cn": "zh_CN", "中文": "zh_CN", "简体中文": "zh_CN",
                   "chinese": "zh_CN", "en": "en", "english": "en", "英文": "en", "英语": "en"}
MAX_ADDRESS = 255
PHONE = re.compile(r"^(?:\+?86[- ]?)?(?:1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
TRUE, FALSE = {"1", "true", "yes", "y", "是"}, {"", "0", "false", "no", "n", "否"}
# the stored width of each text field: longer values are refused on both databases alike
MAX_LENGTH = {"client_no": 32, "name": 128, "phone": 32, "email": 255, "branch": 32, "manager_code": 32,
              "manager_name": 128, "contribution": 40, "opted_out": 8, "account_closed": 8, "preferred_mode": 16,
              "address": MAX_ADDRESS, "preferred_channel": 16, "language": 16}
MAX_CONTRIBUTION = Decimal("1e13")  # yuan; stored as fen in a BIGINT, so far below its 9.2e18
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
FORMULA_START = ("=", "+", "@")
BRANCH_CODE = re.compile(r"[A-Za-z0-9_-]{1,32}")
BLANK, WRONG_WIDTH = "\x00blank", "\x00width"  # markers _rows adds to a row (never real field names)
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class ImportResult:
    file: str
    rows: int
    inserted: int
    updated: int
    encoding: str


@dataclass(frozen=True)
class _Row:
    client_no: str
    name: str
    phone: str | None
    email: str | None
    branch: str
    manager_code: str
    manager_name: str | None
    contribution: Decimal
    opted_out: bool | None
    account_closed: bool | None
    preferred_mode: str | None
    address: str | None = None
    preferred_channel: str | None = None
    language: str | None = None


def first_undecodable_line(path: Path, encoding: str) -> int | None:
    """The line of the first byte sequence that is not ``encoding``, or None when the whole file decodes."""
    decoder = codecs.getincrementaldecoder(encoding)()
    line = 1
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                return line + chunk.count(b"\n", 0, max(exc.start, 0))
            line += chunk.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return line
    return None


def detect_encoding(path: Path, wanted: str | None = None) -> str:
    """UTF-8 (with or without BOM) when the whole file decodes as such, else GB18030; a file that is
    neither (Latin-1, UTF-16, binary) is refused with the line of its first bad bytes."""
    bad = None
    for encoding in (wanted,) if wanted else ("utf-8-sig", "gb18030"):
        try:
            bad = first_undecodable_line(path, encoding)
        except LookupError:
            raise ImportRejected(_l("%(file)s: unknown encoding %(enc)r", file=path.name, enc=wanted),
                                 [(path.name, 1, "encoding", _l("unknown encoding"))]) from None
        if bad is None:
            return encoding
    raise ImportRejected(
        _l("%(file)s: line %(line)s: the bytes are neither UTF-8 nor GB18030", file=path.name, line=bad),
        [(path.name, bad, "encoding", _l("the bytes are neither UTF-8 nor GB18030"))])


def header_fields(path: Path, encoding: str) -> list[str]:
    """The known field names the file's header row carries."""
    with path.open("r", encoding=encoding, newline="") as fh:
        try:
            header = next(csv.reader(fh), [])
        except csv.Error:
            header = []
    return [c for c in (ALIASES.get(h.strip(), h.strip().lower()) for h in header) if c in FIELDS]


class _Lines:
    """A csv reader that turns its errors into ImportRejected naming the line."""

    def __init__(self, path: Path, text):
        self.path, self.reader = path, csv.reader(self._same_line_ends(text))
        self.start = 1  # the line the last record began on

    def _refuse(self, line: int, why) -> ImportRejected:
        return ImportRejected(_l("%(file)s: line %(line)s: %(why)s", file=self.path.name, line=line, why=why),
                              [(self.path.name, line, "", why)])

    def _same_line_ends(self, text):
        """The file's lines, refusing a file whose lines end in more than one way (CRLF, LF, a lone CR)."""
        first = None
        for n, line in enumerate(text, 1):
            end = "\r\n" if line.endswith("\r\n") else line[-1:] if line[-1:] in ("\r", "\n") else ""
            if end:
                first = first or end
                if end != first:
                    raise self._refuse(n, _l("the lines end in more than one way (CRLF, LF, CR)"))
            yield line

    def __iter__(self):
        return self

    def __next__(self) -> list[str]:
        self.start = self.reader.line_num + 1
        try:
            return next(self.reader)
        except csv.Error as exc:  # a field over the csv module's limit, a quote left open...
            raise self._refuse(self.start, _l("not readable as CSV (%(why)s)", why=str(exc))) from None


def _rows(path: Path, encoding: str, progress: Progress | None, stage: str) -> Iterator[tuple[int, dict]]:
    total = path.stat().st_size
    with path.open("rb") as raw:
        text = io.TextIOWrapper(raw, encoding=encoding, newline="")
        reader = _Lines(path, text)
        header = next(reader, None)
        if not header:
            raise ImportRejected(_l("%(file)s: the file is empty", file=path.name),
                                 [(path.name, 1, "", _l("no header row"))])
        columns = [ALIASES.get(h.strip(), h.strip().lower()) for h in header]
        missing = [f for f in REQUIRED if f not in columns]
        if missing:
            raise ImportRejected(
                _l("%(file)s: line 1: missing column(s) %(columns)s", file=path.name, columns=", ".join(missing)),
                [(path.name, 1, f, _l("column missing from the header")) for f in missing],
            )
        keep = [(i, c) for i, c in enumerate(columns) if c in FIELDS]
        for n, record in enumerate(reader, 2):
            if n % 20000 == 0 and progress:
                progress(stage, raw.tell(), total)
            if not record or not any(v.strip() for v in record):
                yield reader.start, {BLANK: ""}
                continue
            row = {c: (record[i].strip() if i < len(record) else "") for i, c in keep}
            if len(record) != len(header):
                row[WRONG_WIDTH] = f"{len(record)}/{len(header)}"
            yield reader.start, row
        if progress:
            progress(stage, total, total)


def _flag(value: str | None, field: str, problems: list) -> bool | None:
    if value is None:
        return None
    v = value.lower()
    if v in TRUE:
        return True
    if v in FALSE:
        return False
    problems.append((field, _l("%(value)r is not yes/no", value=value)))
    return None


def parse_row(raw: dict) -> tuple[_Row | None, list[tuple[str, str]]]:
    """One CSV row to a typed row, or the list of (field, reason) problems."""
    if BLANK in raw:
        return None, [("", _l("blank line"))]
    problems: list[tuple[str, str]] = []
    if WRONG_WIDTH in raw:
        found, wanted = raw.pop(WRONG_WIDTH).split("/")
        problems.append(("", _l("%(found)s fields where the header has %(wanted)s", found=found, wanted=wanted)))
    problems += [p for f, v in raw.items() if (p := _text_problem(f, v))]
    if problems:
        return None, problems
    for f in REQUIRED:
        if not raw.get(f):
            problems.append((f, _l("required")))
    contribution = Decimal(0)
    if raw.get("contribution"):
        try:  # ASCII only: Decimal would read full-width digits
            value = Decimal(raw["contribution"].replace(",", "")) if raw["contribution"].isascii() else None
        except InvalidOperation:
            value = None
        if value is None or not value.is_finite() or value < 0:
            problems.append(("contribution", _l("%(value)r is not a non-negative number", value=raw["contribution"])))
        elif value > MAX_CONTRIBUTION:
            problems.append(("contribution", _l("more than 10,000,000,000,000")))
        else:
            contribution = value
    phone = raw.get("phone") or None
    if phone and not PHONE.match(phone):
        problems.append(("phone", _l("%(value)r is not a phone number (mobile 1xxxxxxxxxx or landline 0xx-xxxxxxxx)",
                                     value=phone)))
    email = raw.get("email") or None
    if email and not EMAIL.match(email):
        problems.append(("email", _l("%(value)r is not an e-mail address", value=email)))
    mode = raw.get("preferred_mode") or None
    if mode and mode not in ("phone", "in_person", "web"):
        problems.append(("preferred_mode", _l("%(value)r is not phone, in_person or web", value=mode)))
    address = raw.get("address") or None
    if address and len(address) > MAX_ADDRESS:
        problems.append(("address", _l("longer than %(n)s characters", n=MAX_ADDRESS)))
    if raw.get("branch") and not BRANCH_CODE.fullmatch(raw["branch"]):
        problems.append(("branch", _l("%(value)r is not a branch code (letters, digits, _ or -)", value=raw["branch"])))
    channel = _choice(raw.get("preferred_channel"), "preferred_channel", CHANNEL_VALUES, problems,
                      lambda v: _l("%(value)r is not a channel (短信/sms or 邮件/email)", value=v))
    language = _choice(raw.get("language"), "language", LANGUAGE_VALUES, problems,
                       lambda v: _l("%(value)r is not a language (中文/zh or 英文/en)", value=v))
    opted_out = _flag(raw.get("opted_out"), "opted_out", problems)
    closed = _flag(raw.get("account_closed"), "account_closed", problems)
    if problems:
        return None, problems
    return _Row(raw["client_no"], raw["name"], phone, email, raw["branch"], raw["manager_code"],
                raw.get("manager_name") or None, contribution, opted_out, closed, mode, address, channel, language), []


def _choice(value: str | None, field: str, values: dict[str, str], problems: list, why) -> str | None:
    """The stored form of an optional coded field; a value outside ``values`` is a problem (``why(value)``) on the field."""
    if not value:
        return None
    stored = values.get(value.lower())
    if stored is None:
        problems.append((field, why(value)))
    return stored


def _text_problem(field: str, value: str) -> tuple[str, str] | None:
    """A field too long for its column, holding a control character (NUL, CR...) or starting a formula."""
    if len(value) > MAX_LENGTH.get(field, 255):
        return field, _l("longer than %(n)s characters", n=MAX_LENGTH.get(field, 255))
    if CONTROL.search(value):
        return field, _l("contains a control character (NUL, tab, line break...)")
    if value.startswith(FORMULA_START):
        return field, _l("starts with %(c)r, like a spreadsheet formula", c=value[0])
    return None


class _Checker:
    """Collects problems over the whole file: per-row problems and repeated client numbers."""

    def __init__(self, file: str, branches: set[str] | None = None):
        self.file = file
        self.branches = branches  # the known branch codes; None: any (the first file defines them)
        self.bad: list[tuple[str, int, str, str]] = []
        self.bad_rows = 0
        self.seen: dict[str, int] = {}

    def check(self, line: int, raw: dict) -> _Row | None:
        row, problems = parse_row(raw)
        if row is not None and self.branches is not None and row.branch not in self.branches:
            problems.append(("branch", _l("%(value)r is not a known branch", value=row.branch)))
        no = raw.get("client_no", "")
        if no and no in self.seen:
            problems.append(("client_no", _l("%(value)r repeats line %(line)s", value=no, line=self.seen[no])))
        elif no:
            self.seen[no] = line
        if problems:
            self.bad_rows += 1
            self.bad.extend((self.file, line, f, why) for f, why in problems if len(self.bad) < MAX_REPORTED)
            return None
        return row

    def raise_if_bad(self) -> None:
        if self.bad:
            first = self.bad[0]
            raise ImportRejected(
                _l("%(file)s: %(rows)s bad row(s), nothing imported; first: line %(line)s, field %(field)s: %(why)s",
                   file=self.file, rows=self.bad_rows, line=first[1], field=first[2], why=first[3]),
                self.bad[:MAX_REPORTED],
            )


def validate_file(path: Path, encoding: str, progress: Progress | None = None) -> int:
    """Check every row without writing; raise ImportRejected listing the first bad rows."""
    checker, count = _Checker(path.name), 0
    for line, raw in _rows(path, encoding, progress, "checking"):
        count += 1
        checker.check(line, raw)
    checker.raise_if_bad()
    return count


COLUMNS = ("client_no", "name", "phone", "email", "branch_code", "manager_code", "manager_name", "contribution",
           "tier_code", "updated_at", "opted_out", "account_closed", "preferred_mode", "address", "preferred_channel",
           "language", "created_at")


class _Upsert:
    """The upsert compiled once for the session's database, run with the driver's executemany.

    SQLAlchemy builds and compiles the statement (so both dialects get their own SQL); the rows
    go to the driver as plain tuples, already in stored form (money in fen, the import time
    processed once), which skips the per-row bind processing that dominated the import.
    """

    def __init__(self, session: Session, row_keys: list[str], now):
        dialect = session.get_bind().dialect
        table = Client.__table__
        ins = (postgresql.insert if dialect.name == "postgresql" else sqlite.insert)(table)
        always = ["name", "phone", "email", "branch_code", "manager_code", "manager_name", "contribution",
                  "tier_code", "updated_at"]
        # a file without the column leaves what is stored alone
        optional = [k for k in ("opted_out", "account_closed", "preferred_mode", "address", "preferred_channel",
                                "language") if k in row_keys]
        stmt = ins.on_conflict_do_update(index_elements=[table.c.client_no],
                                         set_={k: ins.excluded[k] for k in always + optional})
        compiled = stmt.compile(dialect=dialect, column_keys=list(COLUMNS))
        self.sql = compiled.string
        self.order = [compiled.binds[name].key for name in compiled.positiontup] if compiled.positional else None
        stamp = table.c.updated_at.type.bind_processor(dialect)
        self.now = stamp(now) if stamp else now
        if dialect.name == "sqlite" and hasattr(self.now, "isoformat"):
            self.now = self.now.isoformat(" ")  # what sqlite3's adapter would store, done once
        self.session = session

    def run(self, rows: list[dict]) -> None:
        params = [tuple(r[k] for k in self.order) for r in rows] if self.order else rows
        cursor = self.session.connection().connection.cursor()
        try:
            cursor.executemany(self.sql, params)
        finally:
            cursor.close()


def import_clients(
    session: Session,
    path: str | Path,
    *,
    actor: StaffUser | str | None = None,
    encoding: str | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Upsert every row by client number and assign tiers; a file with any bad row imports nothing."""
    path = Path(path)
    encoding = detect_encoding(path, encoding)
    return _upsert_all(session, path.name, _rows(path, encoding, progress, "importing"),
                       header_fields(path, encoding), actor=actor, encoding=encoding)


def import_records(session: Session, records: list[dict], *, source: str,
                   actor: StaffUser | str | None = None) -> ImportResult:
    """The same import for rows given as mappings (an API batch): rows are numbered from 0, a field
    given in any row is written for every row, and one bad row imports nothing."""
    keys = [f for f in FIELDS if any(f in r for r in records)]
    rows = ((n, {f: _as_text(r.get(f)) for f in keys}) for n, r in enumerate(records))
    return _upsert_all(session, source, rows, keys, actor=actor, encoding="json")


def _as_text(value) -> str:
    """A JSON value as the CSV cell that says the same: null is blank, booleans are true/false."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value).strip()


def _upsert_all(session: Session, name: str, numbered_rows, row_keys: list[str], *,
                actor: StaffUser | str | None, encoding: str) -> ImportResult:
    scheme = tiers.ensure_default_scheme(session)
    before = session.scalar(select(func.count()).select_from(Client))
    now = utcnow()
    upsert = _Upsert(session, row_keys, now)
    known = set(session.scalars(select(Branch.code)))
    checker, branches, chunk, rows = _Checker(name, known or None), set(), [], 0

    def flush(chunk: list[_Row]) -> None:
        codes = tiers.tier_codes(np.array([float(r.contribution) for r in chunk]), scheme)
        stamp, to_fen = upsert.now, Money().process_bind_param
        upsert.run([
            dict(client_no=r.client_no, name=r.name, phone=r.phone, email=r.email, branch_code=r.branch,
                 manager_code=r.manager_code, manager_name=r.manager_name, contribution=to_fen(r.contribution, None),
                 tier_code=str(tier), updated_at=stamp, opted_out=bool(r.opted_out),
                 account_closed=bool(r.account_closed), preferred_mode=r.preferred_mode, address=r.address,
                 preferred_channel=r.preferred_channel, language=r.language, created_at=stamp)
            for r, tier in zip(chunk, codes, strict=True)
        ])

    # One pass: rows are written in chunks inside a savepoint while the file is checked; once a bad
    # row is seen nothing more is written, and at the end a bad file rolls the savepoint back whole.
    savepoint = session.begin_nested()
    try:
        for line, raw in numbered_rows:
            rows += 1
            row = checker.check(line, raw)
            if row is None or checker.bad:
                chunk = []
                continue
            branches.add(row.branch)
            chunk.append(row)
            if len(chunk) >= CHUNK:
                flush(chunk)
                chunk = []
        if chunk and not checker.bad:
            flush(chunk)
        checker.raise_if_bad()
    except BaseException:
        savepoint.rollback()
        raise
    savepoint.commit()
    known = set(session.scalars(select(Branch.code)))
    new = sorted(branches - known)
    if new:
        session.execute(insert(Branch), [dict(code=b, name=b) for b in new])
    after = session.scalar(select(func.count()).select_from(Client))
    result = ImportResult(name, rows, after - before, rows - (after - before), encoding)
    audit.record(session, actor, "clients.imported", "client_file", name, rows=rows,
                 inserted=result.inserted, updated=result.updated, encoding=encoding, new_branches=new)
    return result
