"""Well-being measurement at group level (issue 17, SPEC T-3): the owner's questionnaires
with their scoring, group results that never become a score per client, and trends.

The scoring, the group aggregation and the trend are plain functions (questionnaires.py,
aggregate.py, trend.py), so the rules a check stands on are tested without the stack.
"""
