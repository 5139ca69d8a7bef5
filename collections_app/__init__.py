"""The collector's workflow: activities, promises, payment plans, follow-ups, escalations,
the stored priority queue and the account workspace."""
