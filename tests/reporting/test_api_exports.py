"""POST /api/v1/reports/exports/ starts an aging export; GET .../<id>/ polls it and offers the
download, which only the user who asked may fetch."""

import csv
import datetime
import io

import pytest
from rest_framework.test import APIClient

from accounts import roles
from reporting.exports import export_run
from reporting.models import ExportJob
from tests.factories import CustomerFactory, invoice, user_in_role

pytestmark = pytest.mark.django_db

URL = "/api/v1/reports/exports/"
BODY = {"kind": "summary", "format": "csv", "as_of": "2026-06-30", "grouping": "customer"}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def alice():
    return user_in_role(roles.COLLECTOR, "alice")


@pytest.fixture
def ledger(alice):
    bob = user_in_role(roles.COLLECTOR, "bob")
    invoice(
        CustomerFactory(name="Alice Co", assigned_collector=alice),
        "120.00",
        issue_date=datetime.date(2026, 5, 1),
    )
    invoice(
        CustomerFactory(name="Bob Co", assigned_collector=bob),
        "900.00",
        issue_date=datetime.date(2026, 5, 1),
    )
    return bob


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_starting_an_export_queues_it_and_answers_202_with_its_status_url(
    alice, ledger, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as queued:
        response = _api(alice).post(URL, {**BODY, "in_dispute": "no"}, format="json")

    job = ExportJob.objects.get()
    assert response.status_code == 202
    assert response["Location"] == f"http://testserver/api/v1/reports/exports/{job.pk}/"
    assert response.json() | {"created_at": None} == {
        "id": job.pk,
        "kind": "summary",
        "format": "csv",
        "parameters": {
            "as_of": "2026-06-30",
            "basis": "due",
            "grouping": "customer",
            "collector": None,
            "currency": None,
            "customer": None,
            "in_dispute": False,
        },
        "status": "queued",
        "progress": 0,
        "rows_written": 0,
        "file_size": None,
        "error": "",
        "created_at": None,
        "finished_at": None,
        "expires_at": None,
        "status_url": f"http://testserver/api/v1/reports/exports/{job.pk}/",
        "download_url": None,
    }
    assert (job.user, len(queued)) == (alice, 1)


def test_polling_a_finished_export_gives_the_download_of_the_callers_portfolio_only(alice, ledger):
    client = _api(alice)
    job_id = client.post(URL, BODY, format="json").json()["id"]
    export_run(job_id)  # what the worker does

    status = client.get(f"{URL}{job_id}/").json()
    download = client.get(status["download_url"])

    assert (status["status"], status["progress"]) == ("done", 100)
    assert status["download_url"] == f"http://testserver/api/v1/reports/exports/{job_id}/download/"
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    text = b"".join(download.streaming_content).decode("utf-8-sig")
    assert "Alice Co" in text
    assert "Bob Co" not in text
    rows = list(csv.reader(io.StringIO(text)))
    assert [row[-2] for row in rows if row and row[0] == "Alice Co"] == ["120.00"]


def test_another_users_export_is_a_404_on_status_and_download(alice, ledger):
    job_id = _api(ledger).post(URL, BODY, format="json").json()["id"]
    export_run(job_id)
    unknown = job_id + 1000

    for suffix in ["", "download/"]:
        theirs = _api(alice).get(f"{URL}{job_id}/{suffix}")
        missing = _api(alice).get(f"{URL}{unknown}/{suffix}")

        assert (theirs.status_code, theirs.json()) == (missing.status_code, missing.json())
        assert theirs.status_code == 404


def test_an_unfinished_export_has_no_download_yet(alice, ledger):
    client = _api(alice)
    job_id = client.post(URL, BODY, format="json").json()["id"]

    assert client.get(f"{URL}{job_id}/").json()["download_url"] is None
    assert client.get(f"{URL}{job_id}/download/").status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**BODY, "kind": "everything"}, "kind"),
        ({**BODY, "format": "docx"}, "format"),
        ({**BODY, "as_of": "yesterday"}, "as_of"),
        ({**BODY, "grouping": "region"}, "grouping"),
        ({**BODY, "currency": "XXX"}, "currency"),
    ],
)
def test_a_bad_request_is_a_400_naming_the_field_and_queues_nothing(alice, body, field):
    response = _api(alice).post(URL, body, format="json")

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert ExportJob.objects.count() == 0


def test_a_replay_with_the_same_idempotency_key_returns_the_first_job(
    alice, ledger, django_capture_on_commit_callbacks
):
    client = _api(alice)

    with django_capture_on_commit_callbacks() as queued:
        first = client.post(URL, BODY, format="json", HTTP_IDEMPOTENCY_KEY="export-1")
        again = client.post(URL, BODY, format="json", HTTP_IDEMPOTENCY_KEY="export-1")
    other = client.post(
        URL, {**BODY, "format": "pdf"}, format="json", HTTP_IDEMPOTENCY_KEY="export-1"
    )

    assert (first.status_code, again.status_code) == (202, 202)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert other.status_code == 422
    assert (ExportJob.objects.count(), len(queued)) == (1, 1)


def test_the_cfo_may_export_because_an_export_is_a_read(ledger):
    response = _api(user_in_role(roles.CFO, "cfo")).post(URL, BODY, format="json")

    assert response.status_code == 202


def test_a_user_without_the_export_permission_is_refused(ledger):
    nobody = user_in_role(roles.COLLECTOR, "nobody")
    nobody.groups.clear()

    response = _api(nobody).post(URL, BODY, format="json")

    assert response.status_code == 403
    assert ExportJob.objects.count() == 0
