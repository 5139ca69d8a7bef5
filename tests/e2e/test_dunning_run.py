"""A credit manager runs dunning: starts a run, reads its preview and who was skipped,
approves it, watches it finish, and retries the e-mail the mail server refused."""

import pytest

from dunning import services as dunning
from dunning.models import DunningCommunication, DunningRun
from dunwell.celery import app as celery_app
from tests.dunning.pages import book, ensure_dunning_defaults

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "pw-for-tests-only"


@pytest.fixture
def eager_celery(settings, tmp_path):
    """Sending runs inside the request here; test_worker_reliability.py covers real workers.
    The mail server refuses every address at acme.example."""
    ensure_dunning_defaults()
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_BACKEND = "tests.dunning.mail_backends.RefusingBackend"
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


def _log_in(page, username: str) -> None:
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def _text_align(locator) -> str:
    return locator.evaluate("e => getComputedStyle(e).textAlign")


def test_credit_manager_previews_approves_and_retries_a_failed_e_mail(
    page, screenshot, eager_celery
):
    accounts = book()

    _log_in(page, "carla")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dunning").click()
    page.wait_for_url("**/dunning/")
    page.get_by_role("heading", name="Dunning runs").wait_for()
    assert page.get_by_text("No dunning run yet.").is_visible()
    screenshot("dunning_runs_empty")

    page.get_by_role("button", name="Start a run").click()
    run = DunningRun.objects.get()
    page.wait_for_url(f"**/dunning/runs/{run.pk}/")

    # The preview: who gets what, and who is skipped and why.
    preview = page.locator("table.preview")
    assert preview.locator("tbody > tr > th[scope=row] a").all_inner_texts() == [
        "Acme Widgets",
        "Bolt Brothers",
        "Cedar Mills",
    ]
    acme = page.locator("tr", has=page.get_by_role("link", name="Acme Widgets")).first
    assert "Ann Payable <ap@acme.example>" in acme.inner_text()
    total = acme.locator("table.lines tr.total td.num")
    assert total.inner_text() == "200.00 USD"
    assert _text_align(total) == "right"
    bolt = page.locator("tr", has=page.get_by_role("link", name="Bolt Brothers")).first
    assert "9 Dock Rd" in bolt.inner_text() and "Letter" in bolt.inner_text()
    skips = page.locator("table.skips")
    assert "Do not contact" in skips.inner_text()
    assert "Quiet Corp" in skips.inner_text()
    assert "CEDAR-2" in skips.inner_text()
    screenshot("dunning_run_preview")

    # Filter the skipped list to one reason, by keyboard.
    page.get_by_label("Skip reason").select_option("do_not_contact")
    page.get_by_role("button", name="Filter").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**reason=do_not_contact**")
    assert skips.locator("tbody td a").all_inner_texts() == ["Quiet Corp"]
    page.get_by_role("link", name="Clear filters").click()
    page.wait_for_url(f"**/dunning/runs/{run.pk}/")

    # Approve: a confirmation page says what goes out and asks for the box to be ticked;
    # the sends run in the request (eager Celery); Acme's mailbox is refused.
    page.get_by_role("link", name="Review and approve 3 communications…").click()
    page.wait_for_url(f"**/dunning/runs/{run.pk}/approve/")
    summary = page.locator("table.approval-summary").inner_text()
    assert "1. Friendly reminder" in summary and "3. Final demand" in summary
    screenshot("dunning_run_confirm")
    page.get_by_label("I have checked the preview").check()
    approve = page.get_by_role("button", name="Approve and send 3 communications")
    approve.focus()
    page.keyboard.press("Enter")
    page.get_by_text("Run approved and sent; 1 failed and wait in the retry queue.").wait_for()
    page.get_by_text("100% done").wait_for()
    assert page.locator("#run-progress").get_attribute("value") == "100"
    assert page.locator("#run-live").get_attribute("hx-trigger") is None  # stopped polling
    retry_queue = page.locator(".retry-queue")
    assert "Acme Widgets" in retry_queue.inner_text()
    assert "address refused by the mail server: ap@acme.example (550 mailbox unknown)" in (
        retry_queue.inner_text()
    )
    assert page.get_by_role("link", name="Letters to print (PDF)").is_visible()
    screenshot("dunning_run_sent_with_a_failure")

    # The address is corrected on the contact; the retry reads it afresh.
    accounts["ann"].email = "ann@acme-widgets.example"
    accounts["ann"].save()
    retry = page.get_by_role("button", name="Retry Acme Widgets")
    retry.focus()
    page.keyboard.press("Enter")
    page.get_by_text("Acme Widgets: queued again.").wait_for()
    assert page.locator(".retry-queue").count() == 0
    assert page.locator(".status-count.status-sent strong").inner_text() == "3"
    failed = DunningCommunication.objects.get(customer=accounts["acme"])
    assert (failed.status, failed.to_address) == ("sent", "ann@acme-widgets.example")
    screenshot("dunning_run_retried")

    # The letter is on Bolt Brothers' timeline with its PDF; the invoice is at level 3.
    page.locator("table.preview").get_by_role("link", name="Bolt Brothers", exact=True).click()
    page.wait_for_url(f"**/customers/{accounts['bolt'].pk}/")
    bolt_row = page.locator("table.items tr", has_text="BOLT-1")
    assert "L3" in bolt_row.locator("td.dunning-cell").inner_text()
    pdf_link = page.get_by_role("link", name="PDF of: Dunning Final demand (level 3) by post")
    pdf = page.request.get(pdf_link.get_attribute("href"))
    assert (pdf.status, pdf.headers["content-type"]) == (200, "application/pdf")
    assert pdf.body()[:5] == b"%PDF-"
    screenshot("dunning_workspace_after_run")
    page.go_back()

    page.get_by_role("link", name="← Dunning runs").click()
    page.wait_for_url("**/dunning/")
    row = page.locator("table.runs tbody tr").first
    assert "Done" in row.inner_text()
    screenshot("dunning_runs_done")


def test_credit_manager_edits_a_level_and_stops_an_account(page, screenshot, eager_celery):
    accounts = book()

    _log_in(page, "carla")
    page.goto("/dunning/policies/")
    page.get_by_role("link", name="Edit level 2 of Standard").click()
    page.get_by_label("Days past due").fill("30")
    page.get_by_role("button", name="Save level 2").click()
    error = page.get_by_role("alert").filter(has_text="must be earlier than level 3 (day 30)")
    error.wait_for()
    screenshot("dunning_level_refused")
    page.get_by_label("Days past due").fill("20")
    page.get_by_role("button", name="Save level 2").click()
    page.get_by_text("Standard: level 2 saved.").wait_for()
    assert page.locator("#level-" + str(_level_pk(2))).locator("td.num").nth(1).inner_text() == (
        "20"
    )
    screenshot("dunning_policies")

    page.goto(f"/customers/{accounts['acme'].pk}/")
    panel = page.locator(".dunning-panel")
    panel.get_by_text("Stop dunning this account").click()
    panel.get_by_label("Reason").fill("in legal review")
    panel.get_by_label("Until").fill("2099-01-31")
    panel.get_by_role("button", name="Stop dunning").click()
    page.get_by_text("Dunning stopped until 2099-01-31.").wait_for()
    assert "in legal review" in page.locator(".dunning-panel").inner_text()
    screenshot("dunning_workspace_panel")


def _level_pk(number: int) -> int:
    from dunning.models import DunningLevel

    return DunningLevel.objects.get(policy__is_default=True, number=number).pk


def test_the_run_page_follows_the_workers_live(page, screenshot, eager_celery, settings):
    """The page polls while the run sends: the bar moves as each communication finishes,
    and the poll that finds the run done reloads the page with the PDFs."""
    from django.utils import timezone

    from dunning.sending import communication_send

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    accounts = book()
    run = dunning.dunning_run_start(actor=accounts["manager"])
    # As just after approval, before any worker has picked a communication up.
    DunningRun.objects.filter(pk=run.pk).update(
        status="sending", approved_by=accounts["manager"], approved_at=timezone.now()
    )
    run.communications.update(status="queued")
    first, *others = run.communications.order_by("customer__name")

    _log_in(page, "carla")
    page.goto(f"/dunning/runs/{run.pk}/")
    page.get_by_text("0% done").wait_for()
    assert page.locator("#run-live").get_attribute("hx-trigger") == "every 1.5s"

    assert communication_send(first.pk) == "sent"
    page.get_by_text("33% done").wait_for()
    assert page.locator("#run-progress").get_attribute("value") == "33"
    screenshot("dunning_run_sending_live")

    for comm in others:
        assert communication_send(comm.pk) == "sent"
    page.get_by_role("link", name="Letters to print (PDF)").wait_for()  # the page reloaded
    assert page.get_by_text("100% done").is_visible()
    assert page.locator("#run-live").get_attribute("hx-trigger") is None
    assert page.locator("table.preview .comm-status").all_inner_texts() == ["Sent"] * 3
