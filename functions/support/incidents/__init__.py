"""Acute incidents: reporting, paging the on-call rota, acknowledging, containment."""
