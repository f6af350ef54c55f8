"""Demo data for fieldwork: assignments, attempt histories and appointments (filled by the fieldwork work)."""


def build(session, rng, wave) -> None:
    """Add a working day's fieldwork to the demo's wave in field."""
