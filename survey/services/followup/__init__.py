"""Follow-up of complaints and low scores: triggers, cases and their five steps, deadlines and escalation, win-back surveys, the board and reports."""
