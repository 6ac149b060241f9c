"""Remote tasks and message delivery (SPEC R-1 ... R-4)."""
