"""SQLAlchemy 2.0 typed models: data only, no business rules."""

from survey.models.api import ApiIdempotencyKey, ApiToken
from survey.models.base import Base, utcnow
from survey.models.changes import QualityChange
from survey.models.design import (
    QUESTION_TYPES,
    WAVE_STATUSES,
    Question,
    Questionnaire,
    QuestionnaireDraft,
    Setting,
    Tier,
    TierScheme,
    Wave,
)
from survey.models.people import ROLES, Branch, Client, LoginThrottle, StaffUser
from survey.models.sample import MODES, Answer, AuditEvent, Draw, Invitation, ReserveCase, Response
from survey.models.sms import SmsMessage
from survey.models.work import FOLLOWUP_STEPS, CaseEvent, ContactAttempt, FollowUpCase, Message

__all__ = [
    "Answer", "ApiIdempotencyKey", "ApiToken", "AuditEvent", "Base", "Branch", "CaseEvent", "Client", "ContactAttempt", "Draw",
    "FOLLOWUP_STEPS", "FollowUpCase", "Invitation", "LoginThrottle", "MODES", "Message", "QUESTION_TYPES", "Question",
    "QualityChange", "Questionnaire", "QuestionnaireDraft", "ROLES", "ReserveCase", "Response", "Setting", "SmsMessage",
    "StaffUser", "Tier", "TierScheme",
    "WAVE_STATUSES", "Wave", "utcnow",
]
