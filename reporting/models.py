"""Aging, KPIs and daily AR snapshots (built by the reporting issue)."""
