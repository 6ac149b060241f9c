"""Where well-being checks live (issue 17): named here so shared/client_data.py can list
the participation records for export and erasure without importing the clients area."""

from __future__ import annotations

GROUPS = "wellbeing_groups"
# A group's members, one document each (group_id, client_id): so erasure finds them.
MEMBERS = "wellbeing_members"
CHECKS = "wellbeing_checks"
# Which clients took part in a check: carries client_id (log, export, erasure).
PARTICIPATION = "wellbeing_participation"
# A check's answer sets: no client id, kept sorted. One document per check.
ANSWERS = "wellbeing_answers"
# A professional's own checks (uid, score): theirs alone, no route shows another's.
OWN_CHECKS = "wellbeing_own"
# A professional's own programme (VoksenRo): one document per professional, id = uid.
PROGRAMMES = "wellbeing_programmes"
# When each professional last took an own check (id = uid): the due reminder reads this.
OWN_DUE = "wellbeing_own_due"
