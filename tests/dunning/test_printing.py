"""The printable letters of a run: every sent letter once, in customer order, each starting
on a fresh sheet; a large run in numbered parts."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.utils import timezone
from pypdf import PdfReader

from accounts import roles
from dunning.models import CommunicationStatus, DunningRun, DunningRunTrigger
from dunning.printing import print_file_build
from tests.dunning.letters import letter_pdf, sent_letter
from tests.dunning.pages import logged_in
from tests.factories import CustomerFactory, user_in_role

pytestmark = pytest.mark.django_db


def _page_texts(pdf) -> list[str]:
    return [page.extract_text().strip() for page in PdfReader(pdf).pages]


@pytest.fixture
def run():
    return DunningRun.objects.create(
        as_of=timezone.localdate(),
        trigger=DunningRunTrigger.MANUAL,
        status="done",
        approved_at=timezone.now(),
        finished_at=timezone.now(),
    )


def test_the_print_file_holds_every_sent_letter_in_customer_order_each_on_a_fresh_sheet(run):
    for name, pages in [("Cedar", 1), ("Alder", 2), ("Birch", 3)]:
        sent_letter(run, CustomerFactory(name=name), letter_pdf(name, pages=pages))
    failed = {"status": CommunicationStatus.FAILED, "sent_at": None}
    sent_letter(run, CustomerFactory(name="Aardvark"), letter_pdf("Aardvark"), **failed)
    sent_letter(run, CustomerFactory(name="Abacus"), letter_pdf("Abacus"), channel="email")

    name = print_file_build(run.pk)

    run.refresh_from_db()
    assert name == run.print_file.name and name.endswith(f"run-{run.pk}-letters.pdf")
    assert _page_texts(run.print_file.open("rb")) == [
        "Alder page 1",
        "Alder page 2",
        "Birch page 1",
        "Birch page 2",
        "Birch page 3",
        "",  # blank back of Birch's last sheet
        "Cedar page 1",
        "",
    ]


def test_a_run_larger_than_a_part_prints_as_a_zip_of_numbered_parts_in_order(run):
    names = [f"Customer {n:02d}" for n in range(1, 6)]
    for name in reversed(names):
        sent_letter(run, CustomerFactory(name=name), letter_pdf(name, pages=2))

    print_file_build(run.pk, letters_per_part=2)

    run.refresh_from_db()
    assert run.print_file.name.endswith(f"run-{run.pk}-letters.zip")
    with zipfile.ZipFile(run.print_file.open("rb")) as archive:
        parts = archive.namelist()
        pages = [_page_texts(io.BytesIO(archive.read(part))) for part in parts]
    assert parts == [f"run-{run.pk}-letters-part-{n}-of-3.pdf" for n in (1, 2, 3)]
    assert [len(part) for part in pages] == [4, 4, 2]
    assert [text for part in pages for text in part] == [
        f"{name} page {n}" for name in names for n in (1, 2)
    ]


def test_a_run_without_sent_letters_has_no_print_file(run):
    sent_letter(run, CustomerFactory(name="Abacus"), letter_pdf("Abacus"), channel="email")

    assert print_file_build(run.pk) == ""
    run.refresh_from_db()
    assert run.print_file.name == ""


def test_the_parts_download_as_a_zip(run):
    for name in ("Alder", "Birch", "Cedar"):
        sent_letter(run, CustomerFactory(name=name), letter_pdf(name))
    print_file_build(run.pk, letters_per_part=2)
    client = logged_in(user_in_role(roles.CREDIT_MANAGER, "carla"))

    response = client.get(f"/dunning/runs/{run.pk}/letters.pdf")
    page = client.get(f"/dunning/runs/{run.pk}/").content.decode()

    assert (response.status_code, response["Content-Type"]) == (200, "application/zip")
    assert f'filename="dunning-run-{run.pk}-letters.zip"' in response["Content-Disposition"]
    assert b"".join(response.streaming_content)[:2] == b"PK"
    assert "Letters to print (ZIP of PDFs)" in page
