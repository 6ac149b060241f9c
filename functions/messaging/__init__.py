"""Message delivery: the functions that send what other areas requested (SPEC R-3)."""
