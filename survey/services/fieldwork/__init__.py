"""Fieldwork: assigning cases, the interviewer's queue, attempts and outcomes, interviews, web mail, opt-out, calendar feed and dashboard."""
