"""Administration: client files, tier schemes and staff accounts."""

from survey.admin import api_tokens_routes, routes, users_routes  # noqa: F401  (the routes register on bp)
from survey.admin.blueprint import bp

__all__ = ["bp"]
