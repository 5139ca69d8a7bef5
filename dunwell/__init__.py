"""The Dunwell site: settings, URLs, the API router and the Celery app. It sits on top of
every app and no app imports it."""

from .celery import app as celery_app

__all__ = ["celery_app"]
