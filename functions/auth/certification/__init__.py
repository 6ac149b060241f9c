"""The certification course a tenant's licence can require before client work (issue 18).

The requirement lives on the licence (shared/contracts.py CertificationRequirement); the
user's progress and certification on their member record, so the gate on every request
(shared/principal.py) reads nothing more than it already does."""
