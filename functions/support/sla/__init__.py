"""The SLA clock, breach alerts and the monthly SLA report (SPEC S-2, S-3)."""
