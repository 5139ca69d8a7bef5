"""The Dunwell site: settings, URLs, the Celery app, and the collector's workflow."""

from .celery import app as celery_app

__all__ = ["celery_app"]
