"""Follow-up cases: complaints and low scores taken through record → accept → analyse → handle → feed back.

Who may do what (docs/followup.md): every role of the cases area (supervisor, quality analyst,
admin, branch head) may view cases and reports.  Acting on a case — taking a step, reopening it,
sending the win-back survey — is for supervisors and admins, the branch head of the client's
branch, and the case's owner (whatever their role, so a quality analyst acts only on cases they
own).  Recording a complaint received outside the survey is for supervisors, admins and branch
heads; the follow-up settings are for admins.  Interviewers have no access.
"""

from survey.cases import clients_routes, reports, routes  # noqa: F401  (the routes register on bp)
from survey.cases.blueprint import bp

__all__ = ["bp"]
