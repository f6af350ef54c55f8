"""Staff login and logout."""

from survey.auth import routes  # noqa: F401  (the routes register on bp)
from survey.auth.blueprint import bp

__all__ = ["bp"]
