"""Quality review: satisfaction over time with its uncertainty."""

from survey.quality import routes  # noqa: F401  (the routes register on bp)
from survey.quality.blueprint import bp

__all__ = ["bp"]
