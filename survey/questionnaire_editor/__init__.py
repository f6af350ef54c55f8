"""The questionnaire editor (quality and admin roles): drafts, questions, preview, publishing, diffs and files.

A draft is the questionnaire file's definition as a dict, edited question by question and checked by the
file loader's own checker; publishing makes a new version that never changes.
"""

from survey.questionnaire_editor import preview_routes, question_routes, routes  # noqa: F401  (routes register on bp)
from survey.questionnaire_editor.blueprint import bp

__all__ = ["bp"]
