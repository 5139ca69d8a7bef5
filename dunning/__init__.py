"""Dunning: policies with ordered levels, per-invoice levels, runs previewed before they send,
one communication per customer per run sent by its own idempotent Celery task.

Rules and choices: docs/dunning.md.
"""
