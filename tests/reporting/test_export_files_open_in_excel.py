"""Export files as Excel opens them: a CSV with a byte-order mark (UTF-8 without an import
dialog), an XLSX sheet name within 31 characters that keeps the as-of date."""

import datetime

import openpyxl
import pytest

from accounts import roles
from reporting.exports import export_path, export_run
from reporting.exports.writers import sheet_name
from reporting.models import ExportJob
from tests.factories import CustomerFactory, invoice, user_in_role

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _run(kind, fmt):
    invoice(
        CustomerFactory(name="Société Générale Café"),
        "120.00",
        issue_date=datetime.date(2026, 5, 1),
    )
    job = ExportJob.objects.create(
        user=user_in_role(roles.FINANCE, "fin"),
        kind=kind,
        format=fmt,
        parameters={"as_of": "2026-06-30"},
    )
    job = export_run(job.pk)
    assert job.status == "done", job.error
    return export_path(job)


def test_the_csv_starts_with_a_byte_order_mark_and_keeps_accents():
    path = _run("detail", "csv")

    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert "Société Générale Café" in data.decode("utf-8-sig")


def test_the_summary_sheet_name_keeps_the_date_within_31_characters():
    path = _run("summary", "xlsx")

    assert openpyxl.load_workbook(path).sheetnames == ["Aging summary 2026-06-30"]


@pytest.mark.parametrize(
    ("title", "name"),
    [
        ("Aging detail as of 2026-06-30", "Aging detail as of 2026-06-30"),
        ("Aging summary by customer as of 2026-06-30", "Aging summary 2026-06-30"),
        ("Aging summary by collector as of 2026-06-30", "Aging summary 2026-06-30"),
        ("A very long report title without any date in it", "A very long report title withou"),
    ],
)
def test_sheet_names_fit_excel(title, name):
    assert sheet_name(title) == name
    assert len(name) <= 31
