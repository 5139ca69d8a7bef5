"""Automatic hold rules: each condition alone, the actions, lifting when the condition
clears (only if the rule says so and nobody changed the status since), several rules on one
account, and the page where credit managers keep them."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.errors import ServiceError
from accounts.models import AuditEntry, Customer, ExchangeRate
from collections_app.models import Activity, Promise
from credit import services
from credit.hold_rules import hold_rule_save, hold_rules_evaluate
from credit.models import CreditChange, HoldRule, HoldRuleHit
from invoices.services import payment_void
from invoices.services.allocations import Allocation
from tests.factories import CustomerFactory, invoice, payment

from .conftest import logged_in

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
# Id routes of this page: the id is a rule's (rules are not in a portfolio).
ROUTES = {"credit_hold_rule", "credit_rule_hit_noted"}


def days_ago(n: int) -> datetime.date:
    return TODAY - datetime.timedelta(days=n)


def rule(kind: str, action: str = "hold", **params) -> HoldRule:
    return hold_rule_save(
        actor=None, name=params.pop("name", f"{kind} {action}"), kind=kind, action=action, **params
    )


def status_of(customer) -> str:
    return Customer.objects.get(pk=customer.pk).credit_status


def test_over_limit_by_more_than_x_percent_puts_the_account_on_hold_with_the_rule_as_reason():
    over = CustomerFactory(credit_limit=Decimal("1000.00"))
    just = CustomerFactory(credit_limit=Decimal("1000.00"))
    invoice(over, "1150.00")  # 15 % over
    invoice(just, "1100.00")  # 10 % over: not more than 10 %
    over_limit = rule("over_limit", over_limit_pct="10")

    run = hold_rules_evaluate()

    assert [hit.customer_id for hit in run.fired] == [over.pk]
    assert (status_of(over), status_of(just)) == ("hold", "good")
    change = CreditChange.objects.get(customer=over)
    assert (change.status_before, change.status_after, change.reason) == ("good", "hold", "rule")
    assert change.comment == (
        "Rule “over_limit hold”: exposure 1,150.00 USD is 115% of the limit 1,000.00 USD"
    )
    hit = HoldRuleHit.objects.get()
    assert (hit.rule, hit.change, hit.cleared_at) == (over_limit, change, None)
    assert AuditEntry.objects.filter(action="credit.hold_rule_fired").count() == 1


def test_a_second_run_fires_nothing_new():
    customer = CustomerFactory(credit_limit=Decimal("100.00"))
    invoice(customer, "500.00")
    rule("over_limit", over_limit_pct="0")
    hold_rules_evaluate()

    again = hold_rules_evaluate()

    assert (again.fired, again.cleared) == ([], [])
    assert CreditChange.objects.count() == HoldRuleHit.objects.count() == 1


def test_an_invoice_past_due_above_the_amount_in_any_currency_with_a_rate():
    ExchangeRate.objects.create(
        currency_id="EUR", quote_currency_id="USD", valid_from=days_ago(400), rate=Decimal("2")
    )
    old_big = CustomerFactory()
    old_small = CustomerFactory()
    recent_big = CustomerFactory()
    euro = CustomerFactory(currency_id="EUR")
    invoice(old_big, "600.00", issue_date=days_ago(100), due_days=30)  # 70 days past due
    invoice(old_small, "400.00", issue_date=days_ago(100), due_days=30)
    invoice(recent_big, "5000.00", issue_date=days_ago(40), due_days=30)  # 10 days
    invoice(euro, "300.00", issue_date=days_ago(100), due_days=30)  # 600 USD
    rule("past_due", action="watch", days=60, amount="500.00", currency="USD")

    run = hold_rules_evaluate()

    assert sorted(hit.customer_id for hit in run.fired) == sorted([old_big.pk, euro.pk])
    assert [status_of(c) for c in (old_big, old_small, recent_big, euro)] == [
        "watch",
        "good",
        "good",
        "watch",
    ]
    hit = HoldRuleHit.objects.get(customer=old_big)
    assert hit.detail.endswith("(600.00 USD) is 70 days past due")


def test_a_broken_promise_within_m_days_only_notifies_on_the_timeline():
    broken = CustomerFactory()
    long_ago = CustomerFactory()
    for customer, when in ((broken, days_ago(5)), (long_ago, days_ago(40))):
        Promise.objects.create(
            customer=customer,
            amount=Decimal("100.00"),
            currency_id=customer.currency_id,
            promised_date=when,
            status="broken",
        )
    rule("broken_promise", action="notify", days=30)

    run = hold_rules_evaluate()

    assert [hit.customer_id for hit in run.fired] == [broken.pk]
    assert (status_of(broken), CreditChange.objects.count()) == ("good", 0)
    line = Activity.objects.get(customer=broken, kind="credit")
    assert line.summary == (
        f"Hold rule “broken_promise notify” fired: a promise due {days_ago(5).isoformat()} "
        "was broken"
    )


def test_risk_class_high_puts_on_hold_and_lifts_when_it_clears_if_the_rule_says_so():
    customer = CustomerFactory(credit_limit=Decimal("100.00"))
    item = invoice(customer, "150.00", issue_date=days_ago(10), due_days=30)
    for n in range(2):
        bounced = payment(customer, "10.00", received_date=days_ago(5 + n))
        payment_void(actor=None, payment=bounced, return_date=days_ago(2), reason="NSF")
    services.risk_scores_refresh()
    rule("risk_high", lift_when_clear=True)
    hold_rules_evaluate()
    assert status_of(customer) == "hold"

    payment(
        customer,
        "150.00",
        received_date=TODAY,
        allocations=[Allocation(invoice_id=item.pk, amount=Decimal("150.00"))],
    )
    services.risk_scores_refresh()  # no longer over the limit: 30 points, medium
    run = hold_rules_evaluate()

    assert status_of(customer) == "good"
    assert [change.status_after for change in run.lifted] == ["good"]
    hit = HoldRuleHit.objects.get()
    assert hit.cleared_at is not None and hit.lift_change == run.lifted[0]
    assert hit.lift_change.comment == "Rule “risk_high hold”: the condition cleared"


def test_a_rule_that_does_not_lift_leaves_the_hold_when_the_condition_clears():
    customer = CustomerFactory(credit_limit=Decimal("100.00"))
    item = invoice(customer, "150.00")
    rule("over_limit", over_limit_pct="0")
    hold_rules_evaluate()
    payment(customer, "150.00", allocations=[Allocation(invoice_id=item.pk, amount=Decimal(150))])

    run = hold_rules_evaluate()

    assert (len(run.cleared), run.lifted, status_of(customer)) == (1, [], "hold")


def test_a_person_who_changed_the_status_since_has_the_last_word(manager):
    customer = CustomerFactory(credit_limit=Decimal("100.00"))
    item = invoice(customer, "150.00")
    rule("over_limit", over_limit_pct="0", lift_when_clear=True)
    hold_rules_evaluate()
    services.credit_status_set(
        actor=manager, customer=customer, status="stop", reason="legal", comment=""
    )
    payment(customer, "150.00", allocations=[Allocation(invoice_id=item.pk, amount=Decimal(150))])

    run = hold_rules_evaluate()

    assert (len(run.cleared), run.lifted, status_of(customer)) == (1, [], "stop")


def test_rules_combined_act_once_each_and_a_watch_never_softens_a_hold():
    customer = CustomerFactory(credit_limit=Decimal("1000.00"))
    invoice(customer, "2000.00", issue_date=days_ago(100), due_days=30)
    hold = rule("over_limit", over_limit_pct="50")
    watch = rule("past_due", action="watch", days=30, amount="100.00", currency="USD")
    notify = rule("broken_promise", action="notify", days=30)  # no broken promise: silent
    inactive = rule("over_limit", action="watch", over_limit_pct="0", name="off", active=False)

    run = hold_rules_evaluate()

    assert {hit.rule for hit in run.fired} == {hold, watch}
    assert status_of(customer) == "hold"
    changes = CreditChange.objects.filter(customer=customer)
    assert [(c.status_before, c.status_after) for c in changes] == [("good", "hold")]
    watch_hit = HoldRuleHit.objects.get(rule=watch)
    assert watch_hit.change is None
    assert Activity.objects.filter(
        customer=customer, summary__startswith="Hold rule “past_due watch” fired"
    ).exists()
    assert not HoldRuleHit.objects.filter(rule__in=[notify, inactive]).exists()


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"kind": "over_limit"}, "over_limit_pct"),
        ({"kind": "past_due", "days": 30, "currency": "USD"}, "amount"),
        ({"kind": "past_due", "days": 30, "amount": "100"}, "currency"),
        ({"kind": "past_due", "days": 30, "amount": "100.5", "currency": "JPY"}, "amount"),
        ({"kind": "broken_promise", "days": 0}, "days"),
        ({"kind": "risk_high", "action": "notify", "lift_when_clear": True}, "lift_when_clear"),
        ({"kind": "risk_high", "name": " "}, "name"),
    ],
)
def test_a_rule_without_the_parameters_of_its_kind_is_refused_and_nothing_is_saved(params, field):
    params = {"name": "a rule", "action": "hold", **params}
    with pytest.raises(ServiceError) as refused:
        hold_rule_save(actor=None, **params)
    assert refused.value.field == field
    assert (HoldRule.objects.count(), AuditEntry.objects.count()) == (0, 0)


def test_credit_managers_keep_the_rules_on_a_page_and_the_account_shows_what_fired(
    manager, collector, customer
):
    client = logged_in(manager)
    response = client.post(
        "/credit/rules/",
        {
            "name": "Far over limit",
            "kind": "over_limit",
            "action": "hold",
            "over_limit_pct": "20",
            "lift_when_clear": "on",
            "active": "on",
        },
    )
    assert response.status_code == 302
    saved = HoldRule.objects.get()
    assert (saved.kind, saved.over_limit_pct, saved.lift_when_clear) == (
        "over_limit",
        Decimal("20.00"),
        True,
    )
    assert "exposure more than 20% over the limit" in client.get("/credit/rules/").content.decode()

    invoice(customer, "70000.00")
    hold_rules_evaluate()
    page = client.get(f"/credit/customers/{customer.pk}/").content.decode()
    assert "Far over limit" in page and "exposure 70,000.00 USD is 140% of the limit" in page

    refused = client.post("/credit/rules/", {"name": "x", "kind": "past_due", "action": "hold"})
    assert refused.status_code == 400 and HoldRule.objects.count() == 1
    assert logged_in(collector).get("/credit/rules/").status_code == 403


def test_a_rule_page_is_for_credit_managers_and_an_unknown_rule_is_a_404(manager, collector):
    saved = rule("risk_high")
    url = reverse("credit_hold_rule", args=[saved.pk])

    assert logged_in(manager).get(url).status_code == 200
    assert (
        logged_in(manager).get(reverse("credit_hold_rule", args=[saved.pk + 1])).status_code == 404
    )
    assert logged_in(collector).get(url).status_code == 403
    assert logged_in(collector).post(url, {"name": "x", "kind": "risk_high"}).status_code == 403
    assert HoldRule.objects.get().name == "risk_high hold"


def test_a_notice_waits_in_the_inbox_until_a_credit_manager_notes_it(manager, collector):
    """Issue 12: "only notify" tells the credit team; the notice is an inbox item that
    noting closes, on the timeline and in the audit trail, and a collector cannot note it."""
    broken = CustomerFactory(name="Broken Promise Ltd", assigned_collector=collector)
    Promise.objects.create(
        customer=broken,
        amount=Decimal("100.00"),
        currency_id=broken.currency_id,
        promised_date=days_ago(5),
        status="broken",
    )
    rule("broken_promise", action="notify", days=30)
    hold_rules_evaluate()
    hit = HoldRuleHit.objects.get(customer=broken)
    client = logged_in(manager)

    inbox = client.get(reverse("credit_inbox"))
    notices = [item for item in inbox.context["items"] if item.kind == "notice"]
    assert [(item.customer, item.notice) for item in notices] == [(broken, hit)]
    assert "Credit (1)" in [label for label, _ in inbox.context["nav_items"]]

    refused = logged_in(collector).post(reverse("credit_rule_hit_noted", args=[hit.pk]))
    assert refused.status_code == 403
    noted = client.post(reverse("credit_rule_hit_noted", args=[hit.pk]), {"from": "inbox"})

    assert noted.status_code == 302 and noted.url == reverse("credit_inbox")
    hit.refresh_from_db()
    assert (hit.acknowledged_by, hit.acknowledged_at is not None) == (manager, True)
    assert [item.kind for item in client.get(reverse("credit_inbox")).context["items"]] == []
    line = Activity.objects.filter(customer=broken, kind="credit").latest("pk")
    assert line.summary.startswith("Hold rule “broken_promise notify” noted: a promise due")
    assert AuditEntry.objects.filter(action="credit.rule_hit.acknowledge").count() == 1
    again = client.post(reverse("credit_rule_hit_noted", args=[hit.pk]))
    assert again.status_code == 302
    assert AuditEntry.objects.filter(action="credit.rule_hit.acknowledge").count() == 1


def test_another_portfolios_notice_is_a_404_like_one_that_does_not_exist(manager):
    from django.contrib.auth.models import Permission

    from tests.factories import UserFactory
    from tests.factories import collector as another_collector

    other = CustomerFactory(assigned_collector=another_collector("olga"))
    Promise.objects.create(
        customer=other,
        amount=Decimal("100.00"),
        currency_id=other.currency_id,
        promised_date=days_ago(5),
        status="broken",
    )
    rule("broken_promise", action="notify", days=30)
    hold_rules_evaluate()
    hit = HoldRuleHit.objects.get(customer=other)
    narrow = UserFactory(username="narrow")
    narrow.user_permissions.add(*Permission.objects.filter(codename="change_credit"))
    client = logged_in(narrow)

    theirs = client.post(reverse("credit_rule_hit_noted", args=[hit.pk]))
    unknown = client.post(reverse("credit_rule_hit_noted", args=[hit.pk + 1000]))

    assert (theirs.status_code, unknown.status_code) == (404, 404)
    assert HoldRuleHit.objects.get(pk=hit.pk).acknowledged_at is None
