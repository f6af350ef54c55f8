"""Webhooks the SMS gateway calls: delivery receipts and replies, signed with a shared secret."""

from survey.hooks import routes  # noqa: F401  (the routes register on bp)
from survey.hooks.blueprint import bp

__all__ = ["bp"]
