"""Counters of the writes that the quality figures read, kept by database triggers (migration 0006)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from survey.models.base import Base


class QualityChange(Base):
    """How many rows a scope has seen written: ``wave:<id>`` (its invitations, responses and answers),
    ``clients`` (a client's tier, branch or manager changed, or a client removed) or ``setup`` (waves,
    draws, tiers, questionnaires, branches, staff names, settings).

    Only triggers write here.  On PostgreSQL every connection counts in its own ``shard`` row, so
    concurrent writers never wait on one another; a scope's count is the sum of its shards.  A
    committed write always raises that sum, whatever the order in which transactions commit.
    """

    __tablename__ = "quality_changes"

    scope: Mapped[str] = mapped_column(String(40), primary_key=True)
    shard: Mapped[int] = mapped_column(Integer, primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger, default=0)
