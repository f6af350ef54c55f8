"""Sampling core for client-satisfaction tracking: pure numpy/scipy code.

Sample size and margin of error, allocation to tiers, a reproducible
stratified draw with release order, contact-mode rules and fieldwork
assignment.  Arrays in, frozen dataclasses out; no web or database code.
scipy is imported inside the functions that use it (as in ``analysis``), so the
web app's workers do not load it when they start.
"""

from ._allocation import allocate, allocation_shares
from ._assign import Assignment, assign_cases
from ._draw import ALGORITHM, Draw, draw_stratified
from ._modes import (
    MODES,
    NO_MODE,
    REASONS,
    ModeAssignment,
    ModeChoice,
    assign_contact_modes,
    contact_mode,
    default_modes,
)
from ._precision import MarginAllocation, total_for_margin
from ._responsive import FieldProjection, project_fieldwork
from ._size import critical_value, margin_of_error, required_sample_size
from ._validate import SampleSizeWarning

__all__ = [
    "ALGORITHM",
    "MODES",
    "NO_MODE",
    "REASONS",
    "Assignment",
    "Draw",
    "FieldProjection",
    "MarginAllocation",
    "ModeAssignment",
    "ModeChoice",
    "SampleSizeWarning",
    "allocate",
    "allocation_shares",
    "assign_cases",
    "assign_contact_modes",
    "contact_mode",
    "critical_value",
    "default_modes",
    "draw_stratified",
    "margin_of_error",
    "project_fieldwork",
    "required_sample_size",
    "total_for_margin",
]
