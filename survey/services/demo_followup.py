"""Demo data for follow-up cases (filled by the closed-loop work)."""


def build(session, rng) -> None:
    """Open follow-up cases from the demo's low scores, in every step."""
