"""Issue 11: the user's exports listed at the top of the aging page (when, what, filters,
size, status), surviving a reload; a file offered for REPORTING_EXPORT_KEEP_DAYS, then
deleted by the nightly beat task; only its owner reaches it."""

import datetime

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.template.defaultfilters import filesizeformat
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import roles
from dunwell.celery import app as celery_app
from reporting import tasks
from reporting.exports import export_path, export_run
from reporting.models import ExportJob
from reporting.services import exports_expire
from tests.factories import CustomerFactory, invoice, user_in_role

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.REPORTING_EXPORT_KEEP_DAYS = 7


@pytest.fixture
def fin():
    invoice(CustomerFactory(name="Acme"), "120.00", issue_date=datetime.date(2026, 5, 1))
    return user_in_role(roles.FINANCE, "fin")


def _export(user, kind="detail", fmt="csv", **parameters) -> ExportJob:
    job = ExportJob.objects.create(
        user=user, kind=kind, format=fmt, parameters={"as_of": "2026-06-30", **parameters}
    )
    job = export_run(job.pk)
    assert job.status == "done", job.error
    return job


def _age(job: ExportJob, days: float) -> None:
    ExportJob.objects.filter(pk=job.pk).update(
        finished_at=timezone.now() - datetime.timedelta(days=days)
    )


def test_the_aging_page_lists_the_users_exports_above_the_table(client, fin):
    first = _export(fin, "summary", "xlsx", currency="USD")
    second = _export(fin, "detail", "csv", in_dispute=True)
    other = _export(user_in_role(roles.FINANCE, "other"))
    client.force_login(fin)

    html = client.get("/reports/aging/", {"as_of": "2026-06-30"}).content.decode()

    panel = html[html.index('id="export-jobs"') :]
    assert html.index('id="exports-title"') < html.index('<table class="grid report">')
    assert panel.index(f'id="export-{second.pk}"') < panel.index(f'id="export-{first.pk}"')
    assert f'id="export-{other.pk}"' not in html
    assert "Aging detail</strong> · CSV · as of 2026-06-30" in panel
    assert "due date basis · amounts in USD · in dispute only" in panel
    assert "due date basis · amounts in USD · currency USD" in panel
    assert f"{filesizeformat(second.file_size)} · 0 rows" in panel  # none in dispute
    assert f"{filesizeformat(first.file_size)} · 1 row<" in panel
    assert f'href="/reports/exports/{second.pk}/download/"' in panel
    assert second.file_size == export_path(second).stat().st_size > 0


def test_the_history_costs_the_same_queries_for_one_export_or_twenty(client, fin):
    client.force_login(fin)
    _export(fin)
    with CaptureQueriesContext(connection) as one:
        client.get("/reports/aging/", {"as_of": "2026-06-30"})
    for n in range(19):
        _export(fin, collector=fin.pk, customer=999 + n)
    with CaptureQueriesContext(connection) as twenty:
        html = client.get("/reports/aging/", {"as_of": "2026-06-30"}).content.decode()

    assert html.count('class="export-job ') == 20
    assert len(twenty) == len(one) + 2  # the names of the collectors and customers, once each


def test_an_export_past_the_keeping_period_is_no_longer_offered_even_before_the_sweep(client, fin):
    old = _export(fin)
    _age(old, 7.01)
    client.force_login(fin)
    api = APIClient()
    api.force_authenticate(fin)

    page = client.get("/reports/aging/", {"as_of": "2026-06-30"}).content.decode()
    download = client.get(f"/reports/exports/{old.pk}/download/")
    api_job = api.get(f"/api/v1/reports/exports/{old.pk}/").json()
    api_download = api.get(f"/api/v1/reports/exports/{old.pk}/download/")

    assert f'href="/reports/exports/{old.pk}/download/"' not in page
    assert "Expired: the file was deleted" in page
    assert (download.status_code, api_download.status_code) == (404, 404)
    assert api_job["download_url"] is None
    assert export_path(old).exists()  # the file is only deleted by the sweep


def test_the_sweep_deletes_old_files_marks_them_expired_and_keeps_the_rest(fin):
    old, recent, failed = _export(fin), _export(fin), _export(fin)
    _age(old, 8)
    _age(recent, 6.9)
    ExportJob.objects.filter(pk=failed.pk).update(status="failed")
    _age(failed, 30)

    assert exports_expire() == 1
    assert exports_expire() == 0  # a second run finds nothing

    statuses = dict(ExportJob.objects.values_list("pk", "status"))
    assert statuses == {old.pk: "expired", recent.pk: "done", failed.pk: "failed"}
    assert not export_path(old).exists()
    assert export_path(recent).exists()
    old.refresh_from_db()
    assert (old.file_name, old.rows_written) != ("", 0)  # the history still says what it was


def test_the_sweep_marks_a_job_whose_file_is_already_gone(fin):
    job = _export(fin)
    _age(job, 10)
    export_path(job).unlink()

    assert tasks.exports_expire() == 1
    assert ExportJob.objects.get(pk=job.pk).status == "expired"


def test_the_keeping_period_is_a_setting(settings, fin):
    settings.REPORTING_EXPORT_KEEP_DAYS = 30
    job = _export(fin)
    _age(job, 10)

    assert exports_expire() == 0
    assert job.__class__.objects.get(pk=job.pk).is_downloadable


def test_beat_runs_the_sweep_nightly():
    entry = django_settings.CELERY_BEAT_SCHEDULE["exports-expire-nightly"]

    assert entry["task"] == "reporting.tasks.exports_expire"
    assert entry["task"] in celery_app.tasks
    assert entry["schedule"].hour == {3}


def test_another_users_export_is_a_404_on_the_page_and_the_api(client, fin):
    job = _export(fin)
    intruder = user_in_role(roles.FINANCE, "intruder")
    client.force_login(intruder)
    api = APIClient()
    api.force_authenticate(intruder)

    assert client.get(f"/reports/exports/{job.pk}/").status_code == 404
    assert client.get(f"/reports/exports/{job.pk}/download/").status_code == 404
    assert api.get(f"/api/v1/reports/exports/{job.pk}/").status_code == 404
    assert api.get(f"/api/v1/reports/exports/{job.pk}/download/").status_code == 404
    assert f'id="export-{job.pk}"' not in client.get("/reports/aging/").content.decode()
