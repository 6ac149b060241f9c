"""Support tickets: first level at the administrator, second level at the supplier (SPEC S-1)."""
