"""Aging exports to XLSX, CSV and PDF, written to a file by a Celery task."""

from .run import export_path, export_run

__all__ = ["export_path", "export_run"]
