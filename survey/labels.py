"""Words for the codes stored in the database (statuses, modes, roles), in the reader's language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

LABELS = {
    # wave statuses
    "draft": _l("Draft"), "sampled": _l("Sampled"), "in_field": _l("In field"), "closed": _l("Finished"),
    # contact modes
    "phone": _l("Phone"), "in_person": _l("In person"), "web": _l("Web"),
    # staff roles
    "interviewer": _l("Interviewer"), "supervisor": _l("Supervisor"), "quality": _l("Quality analyst"),
    "admin": _l("Administrator"), "branch_head": _l("Branch head"),
    # weights of the quality figures
    "design": _l("Design weights (N_h / r_h)"), "raked": _l("Raked to the client file (tier × branch)"),
}


def label(code: str | None) -> str:
    """The translated word for a stored code; unknown codes are shown as they are."""
    if code is None:
        return ""
    text = LABELS.get(code)
    return str(text) if text is not None else code


def mode_label(mode: str) -> str:
    return label(mode)
