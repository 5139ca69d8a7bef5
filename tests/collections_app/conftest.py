"""Shared set-up for the workflow tests."""

from __future__ import annotations

import pytest

from dunwell.celery import app as celery_app


@pytest.fixture
def eager_celery():
    """Tasks run in the process that enqueues them (retries included, without waiting)."""
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before
