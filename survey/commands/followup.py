"""``survey`` commands for followup."""


def register(group) -> None:
    """Add this area's commands to the app's CLI group (none yet)."""
