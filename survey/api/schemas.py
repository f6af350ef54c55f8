"""The API's request and response bodies as pydantic v2 models: they validate requests and, through
their JSON Schema (draft 2020-12, the dialect of OpenAPI 3.1), make the OpenAPI document."""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, create_model

from survey.models import MODES, WAVE_STATUSES
from survey.services.followup.cases import COMPLAINT_CHANNELS, STEPS, TOPICS
from survey.services.followup.steps import FEEDBACK_HOW, REACTIONS

Id = Annotated[int, Field(ge=1, le=2**63 - 1)]
Text = Annotated[str, StringConstraints(max_length=2000)]
Short = Annotated[str, StringConstraints(max_length=255)]


def _sane_time(value: dt.datetime) -> dt.datetime:
    """A time the database can hold in UTC: years 1970 to 2200, read as UTC when it names no zone."""
    value = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if not dt.datetime(1970, 1, 2, tzinfo=dt.UTC) <= value <= dt.datetime(2200, 1, 1, tzinfo=dt.UTC):
        raise ValueError("must be between 1970 and 2200")
    return value.astimezone(dt.UTC)


When = Annotated[dt.datetime, AfterValidator(_sane_time)]


class Strict(BaseModel):
    """A request body: unknown fields are refused by name."""

    model_config = ConfigDict(extra="forbid")


class FieldError(BaseModel):
    field: str
    message: str
    row: int | None = None
    pointer: str | None = None


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldError] | None = None
    retry_after: int | None = None
    checks: list[str] | None = None


@cache
def page_of(model: type[BaseModel]) -> type[BaseModel]:
    """``{"items": [...], "next_cursor": ...}``: the next page's opaque cursor, null on the last page."""
    return create_model(f"{model.__name__}Page", items=(list[model], ...), next_cursor=(str | None, None))


class PageQuery(BaseModel):
    cursor: Annotated[str, StringConstraints(max_length=200)] | None = None
    limit: Annotated[int, Field(ge=1, le=500)] = 100


# --- clients ---------------------------------------------------------------------------------

class ClientIn(Strict):
    """One row of the client file, with the CSV import's fields and rules."""

    client_no: Short
    name: Short
    branch: Short
    manager_code: Short
    contribution: Annotated[str, StringConstraints(max_length=40)] | float
    phone: Short | None = None
    email: Short | None = None
    manager_name: Short | None = None
    opted_out: bool | None = None
    account_closed: bool | None = None
    preferred_mode: Short | None = None
    address: Short | None = None


class ClientBatch(Strict):
    clients: Annotated[list[ClientIn], Field(min_length=1, max_length=5000)]


class ClientBatchResult(BaseModel):
    rows: int
    inserted: int
    updated: int


# --- waves -----------------------------------------------------------------------------------

class WaveOut(BaseModel):
    id: int
    name: str
    status: Literal[WAVE_STATUSES]  # type: ignore[valid-type]
    period_start: dt.date
    period_end: dt.date
    invitations: int
    responses: int
    allowed: dict[str, bool]


class PlanIn(Strict):
    margin: Annotated[float, Field(gt=0, le=0.5)] | None = None
    total: Annotated[int, Field(ge=1, le=10**9)] | None = None
    confidence: Annotated[float, Field(ge=0.5, le=0.999)] = 0.95
    method: Literal["proportional", "equal", "neyman", "optimal"] = "equal"
    minimum: Annotated[int, Field(ge=0, le=10**6)] = 30
    take_all: Annotated[list[Annotated[str, StringConstraints(max_length=32)]], Field(max_length=20)] = []
    reserve_share: Annotated[float, Field(ge=0, le=5)] = 0.5
    confirm: bool = False


class DrawIn(Strict):
    seed: Annotated[int, Field(ge=0, le=2**63 - 1)] | None = None
    confirm: bool = False


class OpenIn(Strict):
    send_now: bool = False


class Empty(Strict):
    pass


class TransitionOut(BaseModel):
    wave: WaveOut
    detail: dict[str, int | str | None]


# --- invitations, dispositions ---------------------------------------------------------------

class InvitationOut(BaseModel):
    id: int
    wave_id: int
    client_no: str
    branch: str
    tier: str
    mode: Literal[MODES]  # type: ignore[valid-type]
    status: str
    disposition: str | None
    attempts: int
    last_message_at: dt.datetime | None


class WaveInvitationsQuery(PageQuery):
    status: Literal["open", "done"] | None = None


class ResendIn(Strict):
    reissue: bool = False


class ResendOut(BaseModel):
    invitation_id: int
    sent: bool
    how: str


class RateRowOut(BaseModel):
    key: str
    cases: int
    open: int
    counts: dict[str, int]
    rates: dict[str, float | None]


class DispositionsOut(BaseModel):
    wave_id: int
    by: str
    e: float | None
    e_basis: str
    invalid_codes: int
    rows: list[RateRowOut]


class DispositionsQuery(BaseModel):
    by: Literal["tier", "mode", "interviewer"] = "tier"
    tier: Short | None = None
    branch: Short | None = None
    mode: Literal[MODES] | None = None  # type: ignore[valid-type]


# --- responses -------------------------------------------------------------------------------

class AnswerOut(BaseModel):
    question: str
    value: float | str | list[str | int | float] | None
    withheld: bool = False


class ResponseOut(BaseModel):
    id: int
    wave_id: int
    invitation_id: int
    client_no: str
    branch: str
    tier: str
    mode: str
    status: str
    locale: str | None
    submitted_at: dt.datetime | None
    created_at: dt.datetime
    answers: list[AnswerOut]


class ResponsesQuery(PageQuery):
    wave_id: Id | None = None
    since: When | None = Field(None, description="only responses submitted (or begun) at or after this time")


# --- estimates -------------------------------------------------------------------------------

class FigureOut(BaseModel):
    estimate: float | None
    se: float | None
    low: float | None
    high: float | None
    n: int


class EstimateRowOut(BaseModel):
    key: str = Field(description='"all" for the bank, else a tier code')
    respondents: int
    population: float | None
    figures: dict[str, FigureOut | None]


class EstimatesOut(BaseModel):
    wave_id: int
    previous_wave_id: int | None
    provisional: bool
    weights: str
    filters: dict[str, str]
    confidence: float
    rows: list[EstimateRowOut]


class EstimatesQuery(BaseModel):
    tier: Short | None = None
    branch: Short | None = None
    mode: Literal[MODES] | None = None  # type: ignore[valid-type]
    weights: Literal["design", "raked"] | None = None


# --- follow-up cases -------------------------------------------------------------------------

class CaseIn(Strict):
    """A complaint from the hotline (or a branch, a letter, the regulator)."""

    client_no: Short
    topic: Literal[TOPICS]  # type: ignore[valid-type]
    channel: Literal[COMPLAINT_CHANNELS] = "phone"  # type: ignore[valid-type]
    summary: Text


class CaseOut(BaseModel):
    id: int
    client_no: str
    branch: str | None
    topic: str
    channel: str
    tier: str
    step: Literal[STEPS]  # type: ignore[valid-type]
    next_step: str | None
    owner_id: int | None
    opened_at: dt.datetime
    step_deadline: dt.datetime | None
    overdue: bool
    closed_at: dt.datetime | None
    summary: str | None
    steps: dict[str, dict]
    joined: bool = Field(False, description="true when the complaint joined the client's open case on the topic")


class CasesQuery(PageQuery):
    step: Literal[STEPS] | None = None  # type: ignore[valid-type]


class StepIn(Strict):
    """The next step and its required fields: accepted (owner_id), analysed (root_cause, analysis),
    handled (actions), fed_back (feedback_how, feedback_at, reaction), closed (note optional)."""

    step: Literal[STEPS[1:]]  # type: ignore[valid-type]
    owner_id: Id | None = None
    root_cause: Annotated[str, StringConstraints(max_length=32)] | None = None
    analysis: Text | None = None
    actions: Text | None = None
    feedback_how: Literal[FEEDBACK_HOW] | None = None  # type: ignore[valid-type]
    feedback_at: When | None = None
    reaction: Literal[REACTIONS] | None = None  # type: ignore[valid-type]
    reaction_note: Text | None = None
    note: Text | None = None
