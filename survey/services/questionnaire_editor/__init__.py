"""The questionnaire editor: drafts edited as definition dicts, publishing them as versions, diffs and files."""
