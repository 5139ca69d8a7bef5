"""An export queued from the page is run by a real Celery worker on Redis to 100%."""

import os
import time
from decimal import Decimal

import pytest

from accounts import roles
from reporting.exports import export_path
from reporting.models import ExportJob
from tests.celery_worker import running_worker
from tests.factories import CustomerFactory, invoice, user_in_role

pytestmark = pytest.mark.django_db(transaction=True)

# A queue of this run's own, so no other run's worker on the same Redis picks our job up.
QUEUE = f"reporting-export-test-{os.getpid()}"


@pytest.fixture
def private_queue(settings):
    settings.REPORTING_EXPORT_QUEUE = QUEUE


def test_a_worker_writes_the_export_and_reports_progress_100(
    client, settings, tmp_path, monkeypatch, private_queue
):
    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setenv("MEDIA_ROOT", str(tmp_path))
    finance = user_in_role(roles.FINANCE, "fin")
    for n in range(12):
        invoice(CustomerFactory(name=f"Customer {n:02d}"), "10.01", number=f"W-{n}")
    client.force_login(finance)

    with running_worker(queues=QUEUE):
        response = client.post(
            "/reports/exports/",
            {"as_of": "2026-06-30", "kind": "detail", "format": "csv"},
            HTTP_HX_REQUEST="true",
        )
        assert response.status_code == 200
        job = ExportJob.objects.get()
        deadline = time.monotonic() + 60
        while not job.is_finished and time.monotonic() < deadline:
            time.sleep(0.3)
            job.refresh_from_db()

    assert (job.status, job.progress, job.rows_written) == ("done", 100, 12)
    lines = export_path(job).read_text().splitlines()
    assert lines[-1].split(",")[9] == str(Decimal("10.01") * 12)
    status = client.get(f"/reports/exports/{job.pk}/", HTTP_HX_REQUEST="true")
    assert f'href="/reports/exports/{job.pk}/download/"' in status.content.decode()
    download = client.get(f"/reports/exports/{job.pk}/download/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content).decode().splitlines() == lines
