"""What the collector sees when the workspace says no: errors beside the field, in an open
panel; a refused request said in the page, which stays as it was."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from accounts import roles
from collections_app import services
from collections_app.models import Activity, Promise
from collections_app.services import emails
from tests.factories import ContactFactory, CustomerFactory, invoice, payment, user_in_role

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "pw-for-tests-only"


def _account():
    collector = user_in_role(roles.COLLECTOR, "collector1")
    customer = CustomerFactory(name="Northwind Packaging Co.", assigned_collector=collector)
    ContactFactory(customer=customer, name="Dana Reyes", email="ap@northwind.example")
    issue = timezone.localdate() - datetime.timedelta(days=105)
    invoice(customer, "48200.00", number="INV-100231", issue_date=issue, due_days=30)
    invoice(customer, "3100.00", number="INV-100377", issue_date=issue, due_days=60)
    services.queue_state_refresh()
    return collector, customer


def _open_workspace(page, customer):
    page.goto(f"/customers/{customer.pk}/")
    page.get_by_label("Username").fill("collector1")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"**/customers/{customer.pk}/")
    page.wait_for_load_state("load")


def test_a_promise_dated_in_the_past_keeps_its_panel_open_with_the_error_beside_the_date(
    page, screenshot
):
    _collector, customer = _account()
    _open_workspace(page, customer)

    page.get_by_text("Record a promise").click()
    page.locator("#id_promise-amount").fill("1000.00")
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    page.locator("#id_promise-promised_date").fill(yesterday.isoformat())
    page.get_by_role("button", name="Record promise").click()

    error = page.locator(".field-promised_date .error")
    error.wait_for()
    assert error.inner_text() == "the promised date cannot be in the past"
    panel = page.locator("details.action", has_text="Record a promise")
    assert panel.get_attribute("open") == ""
    assert page.locator(".field-promised_date .error").is_visible()
    assert page.evaluate("document.activeElement.id") == "id_promise-promised_date"
    assert page.locator("#id_promise-amount").input_value() == "1000.00"
    assert Promise.objects.count() == 0
    screenshot("workspace_promise_error_in_open_panel")


def test_a_refused_request_is_said_in_the_page_which_stays_as_it_was(page, screenshot):
    collector, customer = _account()
    _open_workspace(page, customer)
    # The role changes while the page is open: the collector may no longer record promises.
    collector.groups.clear()
    collector.user_permissions.set(
        Permission.objects.filter(group__name=roles.COLLECTOR).exclude(codename="add_promise")
    )

    page.get_by_text("Record a promise").click()
    page.locator("#id_promise-amount").fill("1000.00")
    promised_by = timezone.localdate() + datetime.timedelta(days=5)
    page.locator("#id_promise-promised_date").fill(promised_by.isoformat())
    page.get_by_role("button", name="Record promise").click()

    problem = page.get_by_role("alert").filter(has_text="not allowed")
    problem.wait_for()
    assert problem.inner_text() == (
        "You are not allowed to do that: your role cannot make this change. Nothing was changed."
    )
    assert page.get_by_role("heading", level=1).inner_text().startswith("Northwind Packaging Co.")
    assert page.locator("#id_promise-amount").input_value() == "1000.00"
    assert page.get_by_text("403 Forbidden").count() == 0
    assert Promise.objects.count() == 0
    screenshot("workspace_refused_request_banner")


def test_selected_invoices_fill_the_promised_amount_and_more_than_the_balance_is_refused(
    page, screenshot
):
    _collector, customer = _account()
    _open_workspace(page, customer)
    page.get_by_text("Record a promise").click()

    page.get_by_label("Select INV-100231").check()
    page.get_by_label("Select INV-100377").check()
    assert page.locator("#id_promise-amount").input_value() == "51300.00"
    assert page.locator("#id_call-promise_amount").input_value() == "51300.00"
    page.get_by_label("Select INV-100377").uncheck()
    assert page.locator("#id_promise-amount").input_value() == "48200.00"
    screenshot("workspace_promise_amount_from_selection")

    # a typed amount is the collector's: changing the selection leaves it alone
    page.locator("#id_promise-amount").fill("60000.00")
    page.get_by_label("Select INV-100231").uncheck()
    assert page.locator("#id_promise-amount").input_value() == "60000.00"
    assert page.locator("#id_call-promise_amount").input_value() == ""

    promised_by = timezone.localdate() + datetime.timedelta(days=5)
    page.locator("#id_promise-promised_date").fill(promised_by.isoformat())
    page.get_by_role("button", name="Record promise").click()
    error = page.locator(".field-amount .error")
    error.wait_for()
    assert error.inner_text() == "60,000.00 USD is more than the 51,300.00 USD open on the account"
    assert page.locator("details.action", has_text="Record a promise").get_attribute("open") == ""
    assert Promise.objects.count() == 0
    screenshot("workspace_promise_amount_refused")


def test_the_two_overdue_figures_have_one_name_each_in_the_workspace_and_the_queue(
    page, screenshot
):
    collector, customer = _account()
    disputed = customer.invoices.get(number="INV-100231")
    services.dispute_raise(
        actor=collector, customer=customer, invoice_ids=[disputed.pk], reason_code="pricing"
    )
    _open_workspace(page, customer)

    def tile(label):
        return page.locator(".tiles .tile", has=page.locator("span", has_text=label))

    assert tile("Overdue").first.inner_text() == "Overdue\n51,300.00 USD"
    assert tile("Collectable overdue").inner_text() == "Collectable overdue\n3,100.00 USD"
    why = page.locator(".ws-head .why").inner_text()
    assert why.startswith("3,100 USD collectable overdue, oldest 45 days (31\u201360)")
    assert "48,200 USD in dispute (not counted)" in why
    screenshot("workspace_overdue_and_collectable_overdue")

    page.get_by_role("link", name="← Queue").click()
    page.wait_for_url("**/queue/")
    assert page.locator("table.queue thead th").nth(3).inner_text() == "Collectable overdue"
    row = page.locator("table.queue tr.queue-row").first
    assert row.locator("td").nth(3).inner_text() == "3,100.00 USD"
    assert row.locator("td.why").inner_text().startswith("3,100 USD collectable overdue")
    screenshot("queue_collectable_overdue")


def test_c_starts_a_call_at_the_contact_and_enter_in_a_date_field_submits(page, screenshot):
    _collector, customer = _account()
    _open_workspace(page, customer)

    page.keyboard.press("c")
    assert page.evaluate("document.activeElement.id") == "id_call-contact"
    page.keyboard.press("ArrowDown")
    assert page.locator("#id_call-contact option:checked").inner_text() == "Dana Reyes"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "id_call-outcome"
    page.locator("#id_call-outcome").select_option("promised")
    page.get_by_label("Select INV-100377").check()
    promised_by = timezone.localdate() + datetime.timedelta(days=4)
    page.locator("#id_call-promise_date").fill(promised_by.isoformat())
    page.locator("#id_call-promise_date").focus()
    page.keyboard.press("Enter")

    page.get_by_text("Call logged with a promise of 3,100.00 USD").wait_for()
    promise = Promise.objects.get()
    assert (promise.amount, promise.promised_date, promise.contact.name) == (
        Decimal("3100.00"),
        promised_by,
        "Dana Reyes",
    )
    screenshot("workspace_call_by_keyboard_with_contact")


def test_the_collector_adds_and_edits_a_contact_and_traces_a_new_address(page, screenshot):
    _collector, customer = _account()
    _open_workspace(page, customer)

    page.get_by_text("Add a contact").click()
    page.locator("#id_contact-name").fill("Pat Doe")
    page.locator("#id_contact-role").fill("AP clerk")
    page.locator("#id_contact-phone").fill("+1 555 0199")
    page.locator("#id_contact-email").fill("pat-at-northwind")
    page.get_by_role("button", name="Add contact").click()
    page.locator(".field-email .error").wait_for()
    assert page.locator(".field-email .error").inner_text() == "Enter a valid email address."
    screenshot("workspace_contact_add_error")
    page.locator("#id_contact-email").fill("pat@northwind.example")
    page.get_by_role("button", name="Add contact").click()
    page.get_by_text("Contact Pat Doe added.").wait_for()

    pat = customer.contacts.get(name="Pat Doe")
    page.get_by_label("Edit Pat Doe").click()
    page.locator(f"#id_contact-{pat.pk}-phone").fill("+1 555 0123")
    page.locator(f"#id_contact-{pat.pk}-is_primary").check()
    page.locator(f"#id_contact-{pat.pk}-do_not_contact").check()
    page.locator("ul.contacts li", has_text="Pat Doe").get_by_role(
        "button", name="Save contact"
    ).click()
    page.get_by_text("Contact Pat Doe changed.").wait_for()
    row = page.locator("ul.contacts li", has_text="Pat Doe")
    assert row.locator(".badge").all_inner_texts() == ["primary", "do not contact"]
    assert page.locator("ul.contacts li").first.locator("strong").inner_text() == "Pat Doe"

    page.get_by_text("Change the billing address").click()
    page.locator("#id_address-billing_address").fill("200 Harbor Way\nPortland, OR 97201")
    page.get_by_role("button", name="Save address").click()
    page.get_by_text("Billing address changed.").wait_for()
    assert page.locator(".contact-details address").inner_text() == (
        "200 Harbor Way\nPortland, OR 97201"
    )
    timeline = page.locator("ol.timeline li").all_inner_texts()
    assert "Billing address changed · collector1" in timeline[0]
    assert "200 Harbor Way" in timeline[0]
    assert "Contact changed (phone, primary, do not contact)" in timeline[1]
    assert "Contact added: Pat Doe · AP clerk" in timeline[2]
    screenshot("workspace_contacts_and_address")


def test_a_statement_e_mail_shows_its_progress_and_a_half_typed_note_survives(page, screenshot):
    _collector, customer = _account()
    dana = customer.contacts.get()
    _open_workspace(page, customer)
    page.locator("#id_call-note").fill("Dana says AP pays on Fridays")

    page.get_by_text("Send an e-mail with the statement").click()
    page.locator("#id_email-contact").select_option(label="Dana Reyes")
    busy = page.evaluate(
        """() => {
            const button = [...document.querySelectorAll("button")]
                .find((b) => b.textContent === "Send e-mail");
            button.click();
            return [button.disabled, button.textContent];
        }"""
    )
    assert busy == [True, "Queuing the e-mail…"]
    page.get_by_text("E-mail to ap@northwind.example queued").wait_for()
    status = page.locator("#email-status p")
    assert status.inner_text() == (
        "E-mail “Statement of account” to ap@northwind.example: queued, sending…"
    )
    # the workspace was redrawn by the answer; the note typed before is still there
    assert page.locator("#id_call-note").input_value() == "Dana says AP pays on Fridays"
    screenshot("workspace_email_queued")

    # the worker sends it; the status, asked again every 2 s, says so
    queued = Activity.objects.get(summary__endswith=" queued")
    emails.statement_email_deliver(activity_id=queued.pk, contact_id=dana.pk, template="statement")
    page.locator("#email-status p.email-sent").wait_for()
    assert page.locator("#email-status p").inner_text() == (
        "E-mail “Statement of account” to ap@northwind.example: sent with the statement."
    )
    screenshot("workspace_email_sent")

    # a reload keeps the draft too; logging the call clears it
    page.reload()
    page.wait_for_load_state("load")
    assert page.locator("#id_call-note").input_value() == "Dana says AP pays on Fridays"
    page.locator("#id_call-outcome").select_option("spoke_to_ap")
    page.get_by_role("button", name="Log call").click()
    page.get_by_text("Call logged.").wait_for()
    assert page.locator("#id_call-note").input_value() == ""
    page.reload()
    page.wait_for_load_state("load")
    assert page.locator("#id_call-note").input_value() == ""
    assert Activity.objects.get(kind="call").note == "Dana says AP pays on Fridays"


def test_a_late_answer_never_replaces_the_page_the_collector_has_moved_on_to(page, screenshot):
    _collector, customer = _account()
    _open_workspace(page, customer)
    held = []
    page.route("**/emails/", lambda route: held.append(route))

    page.get_by_text("Send an e-mail with the statement").click()
    page.locator("#id_email-contact").select_option(label="Dana Reyes")
    page.get_by_role("button", name="Send e-mail").click()
    page.wait_for_function("document.querySelector('[data-busy]').disabled")
    # meanwhile the collector logs a call, whose answer comes first
    page.locator("#id_call-outcome").select_option("no_answer")
    page.locator("#id_call-note").fill("Rang twice")
    page.get_by_role("button", name="Log call").click()
    page.get_by_text("Call logged.").wait_for()
    page.locator("#id_call-note").fill("typing while the e-mail answer comes")

    held[0].continue_()
    page.get_by_text("E-mail to ap@northwind.example queued").wait_for()
    assert page.locator("#workspace ul.messages li").all_inner_texts() == [
        "Call logged.",
        "E-mail to ap@northwind.example queued: it goes out with the statement in a moment, "
        "and the timeline says when it was sent.",
    ]
    assert page.locator("#id_call-note").input_value() == ("typing while the e-mail answer comes")
    assert "No answer" in page.locator("ol.timeline").inner_text()
    assert page.locator("#email-status p").inner_text() == (
        "E-mail “Statement of account” to ap@northwind.example: queued, sending…"
    )
    screenshot("workspace_late_answer_kept_out")


def test_my_day_is_reached_from_the_queue_and_leads_to_the_account(page, screenshot):
    collector, customer = _account()
    services.follow_up_schedule(
        actor=collector, customer=customer, due_date=timezone.localdate(), note="call Dana back"
    )
    promise = services.promise_record(
        actor=collector,
        customer=customer,
        amount=Decimal("3100.00"),
        promised_date=timezone.localdate() + datetime.timedelta(days=1),
    )
    Promise.objects.filter(pk=promise.pk).update(promised_date=timezone.localdate())
    _open_workspace(page, customer)

    page.get_by_role("link", name="← Queue").click()
    page.get_by_role("link", name="My day").click()
    page.wait_for_url("**/queue/my-day/")
    follow_ups = page.locator("section", has=page.locator("#fu-h")).locator("tbody tr")
    assert follow_ups.all_inner_texts() == ["today\tNorthwind Packaging Co.\tcall Dana back"]
    due = page.locator("section", has=page.locator("#pd-h")).locator("tbody tr")
    assert due.all_inner_texts() == ["Northwind Packaging Co.\t3,100.00 USD\t0.00 USD\t—"]
    screenshot("my_day")

    follow_ups.first.get_by_role("link", name="Northwind Packaging Co.").click()
    page.wait_for_url(f"**/customers/{customer.pk}/")


def test_the_cfo_reads_a_workspace_without_any_action_form(page, screenshot):
    user_in_role(roles.CFO, "cfo")
    _collector, customer = _account()

    page.goto("/")
    page.get_by_label("Username").fill("cfo")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/dashboard/")
    page.goto(f"/customers/{customer.pk}/")
    page.get_by_role("heading", level=1).wait_for()

    assert page.get_by_role("heading", level=1).inner_text().startswith("Northwind Packaging Co.")
    assert page.locator("#workspace form").count() == 0
    assert page.get_by_role("button", name="Log call").count() == 0
    assert page.locator("input.item-select").count() == 0
    screenshot("workspace_read_only_cfo")


def test_the_timeline_shows_amounts_as_everywhere_dates_without_a_fake_time_and_a_note_once(
    page, screenshot
):
    collector, customer = _account()
    received = timezone.localdate() - datetime.timedelta(days=2)
    payment(customer, "12500.00", reference="CHK-5521", received_date=received)
    services.call_log(
        actor=collector,
        customer=customer,
        outcome="promised",
        note="AP releases the run on Friday",
        contact=customer.contacts.get(),
        promise_amount=Decimal("3100.00"),
        promise_date=timezone.localdate() + datetime.timedelta(days=3),
    )
    _open_workspace(page, customer)

    events = page.locator("ol.timeline li")
    paid = events.filter(has_text="CHK-5521")
    assert paid.locator("time").inner_text() == received.isoformat()
    assert paid.locator(".summary").inner_text() == "Payment CHK-5521 received: 12,500.00 USD"
    assert page.locator("ol.timeline").get_by_text("AP releases the run on Friday").count() == 1
    screenshot("workspace_timeline")


def test_a_small_balance_sits_at_the_end_of_the_queue_marked_as_a_write_off_candidate(
    page, screenshot
):
    collector, customer = _account()
    crumbs = CustomerFactory(name="Crumbs Ltd", assigned_collector=collector)
    issue = timezone.localdate() - datetime.timedelta(days=230)
    invoice(crumbs, "12.40", number="INV-900001", issue_date=issue, due_days=30)
    services.queue_state_refresh()
    _open_workspace(page, customer)

    page.get_by_role("link", name="← Queue").click()
    page.wait_for_url("**/queue/")
    rows = page.locator("table.queue tr.queue-row")
    assert rows.locator("td:nth-child(2) a").all_inner_texts() == [
        "Northwind Packaging Co.",
        "Crumbs Ltd",
    ]
    assert rows.last.locator(".badge").inner_text() == "write-off candidate"
    assert (
        rows.last.locator("td.why")
        .inner_text()
        .startswith("small balance (12.40 USD open): write-off candidate")
    )
    screenshot("queue_small_balance_last")


def test_an_htmx_swap_breaks_no_content_security_rule_and_the_site_has_a_favicon(page):
    _collector, customer = _account()
    problems = []
    page.on(
        "console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None
    )
    _open_workspace(page, customer)
    page.evaluate(
        """() => { window.cspViolations = [];
            document.addEventListener("securitypolicyviolation",
                (e) => window.cspViolations.push(e.violatedDirective + " " + e.blockedURI)); }"""
    )

    page.locator("#id_call-outcome").select_option("no_answer")
    page.get_by_role("button", name="Log call").click()
    page.get_by_text("Call logged.").wait_for()
    page.get_by_text("Record a promise").click()
    page.get_by_role("button", name="Record promise").click()
    page.locator(".field-amount .error").wait_for()

    assert page.evaluate("window.cspViolations") == []
    assert [p for p in problems if "Content Security Policy" in p or "favicon" in p] == []
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert page.request.get(icon).status == 200


def test_the_team_pages_move_to_select_is_as_tall_as_its_button(page, screenshot):
    user_in_role(roles.CREDIT_MANAGER, "carla")
    _account()

    page.goto("/team/")
    page.get_by_label("Username").fill("carla")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/team/")
    select = page.get_by_label("Move selected to").bounding_box()
    button = page.get_by_role("button", name="Reassign").bounding_box()

    assert abs(select["height"] - button["height"]) <= 1
    assert abs(select["y"] - button["y"]) <= 1
    screenshot("team_reassign")


def test_the_workspace_figures_sit_on_one_row_with_priority_in_the_header(page, screenshot):
    _collector, customer = _account()
    payment(customer, "250.00", reference="CHK-1", received_date=timezone.localdate())
    _open_workspace(page, customer)

    tops = {
        round(box["y"])
        for box in page.locator(".tiles .tile").evaluate_all(
            "tiles => tiles.map((t) => t.getBoundingClientRect().toJSON())"
        )
    }
    assert len(tops) == 1
    assert page.locator(".tiles .tile span").all_inner_texts()[:3] == [
        "Open (2 invoices)",
        "Overdue",
        "Collectable overdue",
    ]
    meta = page.locator(".ws-head .ws-meta").inner_text()
    assert meta.startswith("Good standing · terms Net 30 · collector collector1 · priority ")
    assert meta.endswith(" · oldest 61\u201390")
    screenshot("workspace_tiles_one_row")


def test_the_dunning_column_offers_stop_only_on_the_row_pointed_at(page, screenshot):
    _collector, customer = _account()
    _open_workspace(page, customer)

    stops = page.locator("table.items .row-stop summary")
    assert [stops.nth(i).is_visible() for i in range(stops.count())] == [False, False]
    page.locator("table.items tr", has_text="INV-100377").hover()
    assert [stops.nth(i).is_visible() for i in range(stops.count())] == [False, True]
    screenshot("workspace_dunning_column_hover")
    page.locator("table.items .row-stop summary").nth(1).click()
    assert page.get_by_label("Why stop dunning INV-100377").is_visible()
