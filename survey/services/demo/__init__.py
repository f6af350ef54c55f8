"""The demo database: synthetic clients and waves made through the same services the pages and commands call."""
