"""Services: take a session, never commit; the view or CLI command owns the transaction."""
