"""Called after a response is stored: opens or joins a follow-up case when a trigger is met."""


def on_response(session, response) -> None:
    """No triggers yet (the closed-loop work fills this in)."""
