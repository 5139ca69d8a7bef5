"""Shared set-up for the dunning tests: eager Celery, media in a temporary folder, a small
book of customers at known days past due."""

from __future__ import annotations

import pytest

from dunwell.celery import app as celery_app


@pytest.fixture
def eager_celery():
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_FILE_PATH = tmp_path / "mail"
