"""``survey`` sub-commands by area; each module's ``register(group)`` adds its commands."""

from survey.commands import api, fieldwork, followup, lifecycle, quality, sampling, setup

AREAS = (setup, lifecycle, sampling, fieldwork, quality, followup, api)


def register_all(group) -> None:
    for area in AREAS:
        area.register(group)
