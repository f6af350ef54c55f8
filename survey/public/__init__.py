"""What clients see: the survey form behind their unique link."""

from survey.public import fieldwork_routes, routes, sms_routes  # noqa: F401  (the routes register on bp)
from survey.public.blueprint import bp

__all__ = ["bp"]
