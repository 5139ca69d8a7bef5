"""Celery tasks of the cash app: thin, re-loading, safe to run twice."""

from celery import shared_task

from .services import bank_import_process, csv_import_process


@shared_task(acks_late=True)
def bank_import_run(bank_import_id: int) -> str:
    return bank_import_process(bank_import_id=bank_import_id).status


@shared_task(acks_late=True)
def csv_import_run(csv_import_id: int) -> str:
    return csv_import_process(csv_import_id=csv_import_id).status
