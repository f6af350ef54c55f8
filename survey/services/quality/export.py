"""Full wave export: every released case with disposition, weight, scores and labels (CSV, XLSX, SPSS .sav)."""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

import analysis
from survey.models import Answer, Invitation, Response, Wave
from survey.services import questionnaires
from survey.services.quality import data as quality_data
from survey.services.quality.data import RESPONDENT_STATUSES
from survey.services.spreadsheet import neutral, neutral_row, xlsx_row

FORMATS = ("csv", "xlsx", "sav")
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "sav": "application/x-spss-sav",
}
OUTCOMES = {"I": "Complete 完成", "P": "Partial 部分完成", "R": "Refusal and break-off 拒访与中断",
            "NC": "Non-contact 未接触", "O": "Other eligible 其他合格未访", "UH": "Unknown, no contact 资格未知（未接触）",
            "UO": "Unknown, other 资格未知（其他）", "NE": "Not eligible 不合格"}
DISPOSITIONS = {
    "1.1": "Complete 完成", "1.2": "Partial 部分完成", "2.11": "Refusal 拒访", "2.12": "Break-off 中断",
    "2.21": "Respondent never available 受访者始终不在", "2.22": "Answering machine 答录机",
    "2.23": "Unable to reach the address 无法到达地址", "2.24": "No one at the address 地址无人",
    "2.25": "Respondent away 受访者外出", "2.31": "Deceased 已故", "2.32": "Unable (physically or mentally) 无能力作答",
    "2.20": "Non-contact, text message delivered 短信已送达未作答",
    "2.33": "Language 语言障碍", "2.36": "Other 其他", "3.11": "Not attempted 未尝试（含进行中）",
    "3.12": "Always busy 始终占线", "3.13": "No answer 无人接听", "3.14": "Answering machine, unknown 答录机（身份未知）",
    "3.16": "Technical phone problem 电话技术问题", "3.18": "Unable to locate the address 无法找到地址",
    "3.30": "Text message not delivered 短信未送达",
    "3.90": "Other unknown (e.g. maximum attempts) 其他未知（如达最多尝试次数）", "4.10": "Out of sample 样本外",
    "4.32": "Disconnected number 空号", "4.41": "Number changed 号码变更", "4.90": "Other not eligible 其他不合格",
}
MODES = {"phone": "Phone 电话访问", "in_person": "In person 面访", "web": "Web 网络问卷"}
NPS_LABELS = {0.0: "0 Not at all likely 完全不可能", 10.0: "10 Extremely likely 非常可能"}
NA_LABELS = {0: "Rated on the scale 已评分", 1: "Not applicable 不适用"}


@dataclass
class Column:
    name: str
    label: str
    values: list
    kind: str = "str"  # str | int | float | code (a numeric code kept as text, e.g. AAPOR "2.11")
    value_labels: dict | None = field(default=None)


def _groups(codes) -> dict[str, str]:
    """AAPOR outcome group of each distinct code, by the analysis package's own mapping ("" if not a code)."""
    out = {}
    for code in set(codes):
        try:
            counts = analysis.disposition_counts([code]).as_dict()
        except ValueError:
            out[code] = ""
            continue
        out[code] = next(g for g, n in counts.items() if n)
    return out


def wave_table(session: Session, wave: Wave, progress: Callable[[str, int, int], None] | None = None, *,
               open_answers: bool = False) -> list[Column]:
    """One row per sample invitation of ``wave``; respondents carry the design weight N_h / r_h.

    ``open_answers`` adds the contact request and the comments (for the quality role only).
    """
    step = progress or (lambda *_: None)
    step("loading", 0, 1)
    items = quality_data.items_of(session, [wave.id])
    # items of a grid on the 0-10 scale are variables too (they are no satisfaction items of the drivers)
    nps_items = [quality_data.Item(q.code, q.text_zh, q.text_en) for q in wave.questionnaire.questions
                 if q.type == "nps10" and "." in q.code]
    cases = quality_data.load_cases(session, wave.id, items + nps_items)
    population, _source = quality_data.population_sizes(session, [wave.id])[wave.id]
    step("loading", 1, 1)
    respondent = np.isin(cases.response_status.astype(str), RESPONDENT_STATUSES)
    tiers = {t.code: f"{t.name_zh} {t.name_en}" for t in wave.tier_scheme.tiers}
    r_h = {t: int((respondent & (cases.tier == t)).sum()) for t in set(cases.tier.tolist())}
    n_h = {t: max(population.get(t, 0.0), float(r)) for t, r in r_h.items()}
    weight = [n_h[t] / r_h[t] if ok else None for t, ok in zip(cases.tier, respondent, strict=True)]
    scale = {float(v): f"{v} {en} {zh}" for v, zh, en in questionnaires.SATISFACTION5}
    group_of = _groups(cases.disposition.tolist())
    groups = [group_of[c] for c in cases.disposition]
    qn = wave.questionnaire
    overall_q = questionnaires.overall_question(qn)
    nps_q = next((q for q in qn.questions if q.type == "nps10" and "." not in q.code), None)
    na_items = {r["code"] for r in questionnaires.answer_rows(qn.definition) if r.get("na")}

    def num(arr):
        return [None if np.isnan(v) else float(v) for v in arr]

    cols = [
        Column("invitation_id", "Invitation", cases.invitation_id.tolist(), "int"),
        Column("client_id", "Client", cases.client_id.tolist(), "int"),
        Column("tier", "Tier 客户层级", cases.tier.tolist(), value_labels=tiers),
        Column("branch", "Branch 支行", cases.branch.tolist()),
        Column("manager", "Relationship manager 客户经理", cases.manager.tolist()),
        Column("mode", "Contact mode 访问方式", cases.mode.tolist(), value_labels=MODES),
        Column("interviewer", "Interviewer 访员", cases.interviewer.tolist()),
        Column("status", "Invitation status", cases.status.tolist()),
        Column("disposition", "AAPOR final disposition 最终处置代码", cases.disposition.tolist(), "code", DISPOSITIONS),
        Column("outcome", "AAPOR outcome group 结果类别", groups, value_labels=OUTCOMES),
        Column("open", "Still in the field (counted as 3.11)", [int(v) for v in cases.is_open], "int",
               {0: "No 否", 1: "Yes 是"}),
        Column("responded", "Respondent 1.1/1.2", [int(v) for v in respondent], "int", {0: "No 否", 1: "Yes 是"}),
        Column("weight", "Design weight N_h/r_h 权数", weight, "float"),
        Column("tier_N", "Clients in tier N_h 层总体数", [n_h.get(t) for t in cases.tier], "float"),
        Column("tier_r", "Respondents in tier r_h 层应答数", [r_h.get(t) for t in cases.tier], "int"),
        Column("questionnaire", "Questionnaire code 问卷代码", [qn.code] * cases.n),
        Column("questionnaire_version", "Questionnaire version 问卷版本", [qn.version] * cases.n, "int"),
        Column("overall", f"{overall_q.text_en} {overall_q.text_zh}"[:250], num(cases.overall), "float", scale),
    ]
    na = quality_data.not_applicable(session, [wave.id])
    answered_by = dict(session.execute(select(Response.invitation_id, Response.id).where(Response.wave_id == wave.id)).all())
    for i in items + nps_items:
        cols.append(Column(i.code, f"{i.text_en} {i.text_zh}"[:250], num(cases.items[i.code]), "float",
                           NPS_LABELS if i in nps_items else scale))
        if i.code in na_items:  # "not applicable" is no score (left out of means): its own 0/1 variable beside it
            flagged = na.get(i.code, set())
            cols.append(Column(f"{i.code}_na", f"{i.text_en}: not applicable 不适用"[:250],
                               [None if np.isnan(v) and answered_by.get(inv) not in flagged else int(answered_by.get(inv) in flagged)
                                for inv, v in zip(cases.invitation_id.tolist(), cases.items[i.code], strict=True)],
                               "int", NA_LABELS))
    nps_label = f"{nps_q.text_en} {nps_q.text_zh}"[:250] if nps_q else "NPS 0-10"
    cols.append(Column("recommend" if nps_q is None else nps_q.code, nps_label, num(cases.nps), "float", NPS_LABELS))
    if open_answers:
        cols += open_answer_columns(session, wave, cases.invitation_id.tolist())
    return cols


def open_answer_columns(session: Session, wave: Wave, invitation_ids: list[int]) -> list[Column]:
    """The contact request and the free-text answers (comments) of each case, in questionnaire order.

    They can name people and problems, so only the quality role's exports carry them.
    """
    qn = wave.questionnaire
    request_q = questionnaires.question_by_role(qn, "contact_request")
    wanted = [q for q in qn.questions if q.type == "text" or (request_q is not None and q.id == request_q.id)]
    if not wanted:
        return []
    found: dict[tuple[int, int], str] = {}
    for inv_id, q_id, text in session.execute(
        select(Response.invitation_id, Answer.question_id, Answer.value_text)
        .join(Answer, Answer.response_id == Response.id)
        .join(Invitation, Invitation.id == Response.invitation_id)
        .where(Response.wave_id == wave.id, Invitation.kind == "sample",
               Answer.question_id.in_([q.id for q in wanted]))
    ):
        found[(inv_id, q_id)] = text
    cols = []
    for q in sorted(wanted, key=lambda q: q.position):
        labels = {o["code"]: f"{o['label']['en']} {o['label']['zh']}" for o in q.options or []} or None
        cols.append(Column(q.code, f"{q.text_en} {q.text_zh}"[:250],
                           [found.get((i, q.id)) or None for i in invitation_ids], value_labels=labels))
    return cols


def _rows(cols: list[Column], with_labels: bool) -> tuple[list[str], list[list]]:
    header, data = [], []
    for c in cols:
        header.append(c.name)
        data.append(c.values)
        if with_labels and c.kind in ("str", "code") and c.value_labels:
            header.append(f"{c.name}_label")
            data.append([c.value_labels.get(v, "") if v is not None else "" for v in c.values])
    return header, [list(r) for r in zip(*data, strict=True)]


def write_csv(cols: list[Column], out, progress=None) -> None:
    """UTF-8 with BOM (opens in Excel with Chinese intact); label columns beside the coded ones."""
    header, rows = _rows(cols, True)
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(neutral_row(header))
    for k, row in enumerate(rows, 1):
        writer.writerow(["" if v is None else (f"{v:.10g}" if isinstance(v, float) else neutral(v)) for v in row])
        if progress and k % 1000 == 0:
            progress("writing", k, len(rows))
    data = ("\ufeff" + text.getvalue()).encode("utf-8")
    if progress:
        progress("writing", len(rows), len(rows))
    _emit(out, data)


def write_xlsx(cols: list[Column], out, progress=None) -> None:
    """Sheets: responses (with label columns), variables (labels), value labels."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    sheet = wb.create_sheet("responses")
    header, rows = _rows(cols, True)
    sheet.append(xlsx_row(sheet, header))
    for k, row in enumerate(rows, 1):
        sheet.append(xlsx_row(sheet, row))
        if progress and k % 1000 == 0:
            progress("writing", k, len(rows))
    variables = wb.create_sheet("variables")
    variables.append(["variable", "label"])
    for c in cols:
        variables.append(xlsx_row(variables, [c.name, c.label]))
    labels = wb.create_sheet("value labels")
    labels.append(["variable", "value", "label"])
    for c in cols:
        for value, label in (c.value_labels or {}).items():
            labels.append(xlsx_row(labels, [c.name, value, label]))
    buf = io.BytesIO()
    wb.save(buf)
    if progress:
        progress("writing", len(rows), len(rows))
    _emit(out, buf.getvalue())


def file_label(cols: list[Column]) -> str | None:
    """The questionnaire code and version the rows answered (a .sav's file label)."""
    found = {c.name: c.values[0] for c in cols if c.name in ("questionnaire", "questionnaire_version") and c.values}
    if len(found) < 2:
        return None
    return f"questionnaire {found['questionnaire']} version {found['questionnaire_version']}"


def write_sav(cols: list[Column], out, progress=None) -> None:
    """SPSS .sav: labelled string variables become numeric codes 1..k with value labels; NaN is system-missing.

    A ``code`` column (the AAPOR disposition) keeps its own number (1.1, 2.11, ...) with the
    label beside it, so ``disposition = 1.1`` selects the completes.
    """
    import pandas as pd
    import pyreadstat

    frame, var_labels, value_labels, measure, formats = {}, {}, {}, {}, {}
    for c in cols:
        var_labels[c.name] = c.label
        if c.kind == "code":
            frame[c.name] = [float(v) if v else np.nan for v in c.values]
            present = {**(c.value_labels or {}), **{v: "" for v in c.values if v and v not in (c.value_labels or {})}}
            value_labels[c.name] = {float(v): f"{v} {label}".strip() for v, label in present.items()}
            measure[c.name] = "nominal"
            formats[c.name] = "F4.2"
        elif c.kind == "str" and c.value_labels:
            present = list(c.value_labels) + sorted({v for v in c.values if v and v not in c.value_labels})
            code = {v: float(i) for i, v in enumerate(present, 1)}
            frame[c.name] = [code.get(v, np.nan) for v in c.values]
            value_labels[c.name] = {code[v]: f"{v} {c.value_labels.get(v, '')}".strip() for v in present}
            measure[c.name] = "nominal"
        elif c.kind == "str":
            frame[c.name] = ["" if v is None else str(v) for v in c.values]
            measure[c.name] = "nominal"
        else:
            frame[c.name] = np.array([np.nan if v is None else float(v) for v in c.values], dtype=float)
            if c.value_labels:
                value_labels[c.name] = {float(k): v for k, v in c.value_labels.items()}
            measure[c.name] = "ordinal" if c.value_labels else "scale"
    if progress:
        progress("writing", 0, 1)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "wave.sav"
        pyreadstat.write_sav(pd.DataFrame(frame), str(path), column_labels=var_labels, file_label=file_label(cols),
                             variable_value_labels=value_labels, variable_measure=measure, variable_format=formats)
        data = path.read_bytes()
    if progress:
        progress("writing", 1, 1)
    _emit(out, data)


WRITERS = {"csv": write_csv, "xlsx": write_xlsx, "sav": write_sav}


def _emit(out, data: bytes) -> None:
    if isinstance(out, str | Path):
        Path(out).write_bytes(data)
    else:
        out.write(data)


def only_branch(cols: list[Column], branch: str) -> list[Column]:
    """The rows of one branch (weights stay those of the whole design)."""
    keep = [b == branch for b in next(c for c in cols if c.name == "branch").values]
    return [replace(c, values=[v for v, k in zip(c.values, keep, strict=True) if k]) for c in cols]


def export_wave(session: Session, wave: Wave, fmt: str, out, progress=None, *, open_answers: bool = False,
                branch: str | None = None) -> None:
    """Write the wave's full export in ``fmt`` (csv, xlsx or sav) to a path or a binary file object.

    ``open_answers`` adds the contact-request and comment columns (the quality role's exports);
    ``branch`` keeps only that branch's rows (a branch head's export).
    """
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {FORMATS}, but got {fmt!r}")
    cols = wave_table(session, wave, progress, open_answers=open_answers)
    WRITERS[fmt](only_branch(cols, branch) if branch is not None else cols, out, progress)
