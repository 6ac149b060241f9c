"""Tenants, licences, users and sign-in (SPEC T-1 ... T-7)."""
