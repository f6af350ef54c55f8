"""Staff: waves, invitations and (later) fieldwork. Interviewers, supervisors and admins."""

from survey.staff import fieldwork_routes, lifecycle_routes, routes, sampling_routes  # noqa: F401  (the routes register on bp)
from survey.staff.blueprint import bp

__all__ = ["bp"]
