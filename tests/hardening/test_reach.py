"""Issue 16, Tests: the authorization matrix, generated from the URLconf.

Every route of the site (pages and API; the Django admin aside) is requested by every role
and by an anonymous visitor, against one small book in the collector's portfolio:

- anonymous: a page redirects to the login page, the API answers 401, and only the public
  routes (login, password reset, health check) answer anything else;
- each role gets the status ``MATRIX`` says for it, so a new route fails
  ``test_every_route_is_in_the_matrix`` until someone writes down who may open it;
- every answer to a signed-in user says ``Cache-Control: no-store`` and carries the CSP
  (``base-uri 'none'``), whatever it is (page, PDF, workbook, export, API, error);
- the read-only roles (CFO, Resolver outside disputes) write nothing through any route.

Which portfolio a collector reaches, and each feature's own refusals, are tested beside the
feature (tests/collections_app/test_reach.py and the per-app reach tests); this file is the
breadth: no route is forgotten, for any role.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from accounts import roles
from accounts.models import AuditEntry
from collections_app import services as workflow
from credit import order_services
from credit import services as credit
from credit.applications import credit_application_submit
from dunning.models import DunningLevel, DunningTemplate
from invoices import services as ledger
from invoices.models import Application, Invoice, Payment
from reporting.exports import export_path
from reporting.models import ExportJob
from tests.factories import ContactFactory, CustomerFactory, invoice, payment, user_in_role

pytestmark = pytest.mark.django_db

MISSING = 999_999_999
ROLES = [
    roles.COLLECTOR,
    roles.CREDIT_MANAGER,
    roles.FINANCE,
    roles.CFO,
    roles.ADMIN,
    roles.RESOLVER,
]


def _walk(patterns, prefix=""):
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            yield route, entry


def routes() -> dict[str, URLPattern]:
    """Every named route but the admin's and the API's format-suffix twins."""
    found = {}
    for route, pattern in _walk(get_resolver().url_patterns):
        if route.startswith("admin/") or "format" in pattern.pattern.regex.groupindex:
            continue
        found.setdefault(pattern.name, pattern)
    return found


def _today() -> datetime.date:
    return timezone.localdate()


def _book(alice) -> dict:
    """One of each record a route names, in alice's portfolio (ids of the rarer records
    are a missing id: the route is still reached, and answers 404 or its refusal)."""
    customer = CustomerFactory(external_ref="REACH", name="Reach Ltd", assigned_collector=alice)
    contact = ContactFactory(customer=customer, name="Pat Payable", email="pat@reach.example")
    owed = invoice(customer, "500.00", number="REACH-1", issue_date=_today())
    cash = payment(customer, "300.00", reference="REACH-PAY", received_date=_today())
    (application,) = ledger.payment_apply(
        actor=None,
        payment=cash,
        allocations=[ledger.Allocation(invoice_id=owed.pk, amount=Decimal("100.00"))],
    )
    memo = ledger.credit_memo_issue(
        actor=None,
        customer=customer,
        number="REACH-CM",
        issue_date=_today(),
        amount="50.00",
        reason="damaged",
    )
    promise = workflow.promise_record(
        actor=alice,
        customer=customer,
        amount=Decimal("10.00"),
        promised_date=_today() + datetime.timedelta(days=3),
        invoice_ids=[],
    )
    plan = workflow.payment_plan_agree(
        actor=alice,
        customer=customer,
        installments=[
            (_today() + datetime.timedelta(days=5), Decimal("5.00")),
            (_today() + datetime.timedelta(days=12), Decimal("5.00")),
        ],
    )
    follow_up = workflow.follow_up_schedule(actor=alice, customer=customer, due_date=_today())
    escalation = workflow.escalation_raise(actor=alice, customer=customer, reason="terms")
    dispute = workflow.dispute_raise(
        actor=alice, customer=customer, invoice_ids=[owed.pk], reason_code="pricing"
    )
    order, _created = order_services.order_receive(
        actor=None,
        external_ref="REACH-SO",
        customer=customer,
        amount="100.00",
        currency="USD",
        requested_ship_date=_today(),
    )
    export = ExportJob.objects.create(
        user=alice,
        kind="summary",
        format="csv",
        parameters={"as_of": "2026-06-30"},
        status="done",
        progress=100,
        file_name="aging.csv",
        finished_at=timezone.now(),
    )
    export_path(export).parent.mkdir(parents=True, exist_ok=True)
    export_path(export).write_text("Group,Total\nReach Ltd,399.00\n")
    credit.credit_limit_set(
        actor=alice, customer=customer, limit="60000.00", reason="financial_statements"
    )
    credit_application = credit_application_submit(
        actor=alice,
        company_name="Harbor Freight Supply",
        external_ref="HFS-001",
        registration_number="HRB 12345",
        address="1 Dock Road\nPortsmouth",
        contact_name="Pat Payables",
        contact_email="ap@harbor.example",
        trade_references="Acme Metals, 4 years, 20k",
        bank_reference="First Bank: satisfactory for 50k",
        currency="USD",
        requested_limit="50000.00",
        requested_terms=customer.payment_terms,
    )
    return {
        "credit_application": credit_application.pk,
        "customer": customer.pk,
        "contact": contact.pk,
        "invoice": owed.pk,
        "payment": cash.pk,
        "credit_memo": memo.pk,
        "application": application.pk,
        "adjustment": ledger.invoice_adjust(
            actor=None, invoice=owed, kind="write_off", amount="1.00", reason="rounding"
        ).pk,
        "promise": promise.pk,
        "plan": plan.pk,
        "follow_up": follow_up.pk,
        "escalation": escalation.pk,
        "dispute": dispute.pk,
        "order": order.external_ref,
        "order_pk": order.pk,
        "export": export.pk,
        "dunning_level": DunningLevel.objects.order_by("pk").first().pk,
        "dunning_template": DunningTemplate.objects.order_by("pk").first().pk,
    }


def _kwargs(name: str, pattern: URLPattern, book: dict) -> dict:
    """The route's arguments: the book's records it names (FIRST_IDS, SECOND_IDS)."""
    names = set(pattern.pattern.regex.groupindex)
    kwargs: dict = {}
    first = _first_id(name, book)
    for arg in names:
        if arg == "pk":
            kwargs[arg] = first
        elif arg == "ref":
            kwargs[arg] = book["order"]
        elif arg == "uidb64":
            kwargs[arg] = "MQ"
        elif arg == "token":
            kwargs[arg] = "set-password"
        else:
            kwargs[arg] = SECOND_IDS.get(arg, lambda b: MISSING)(book)
    return kwargs


SECOND_IDS = {
    "plan_id": lambda b: b["plan"],
    "follow_up_id": lambda b: b["follow_up"],
    "promise_id": lambda b: b["promise"],
    "escalation_id": lambda b: b["escalation"],
    "dispute_id": lambda b: b["dispute"],
    "contact_id": lambda b: b["contact"],
    "invoice_id": lambda b: b["invoice"],
}
# the record a route's ``pk`` names, by the start of its name (the longest start wins);
# None, and a name no start fits: MISSING
FIRST_IDS = {
    "customer": "customer",
    "workspace_": "customer",
    "credit_customer": "customer",
    "credit_status_set": "customer",
    "credit_limit_set": "customer",
    "credit_review_record": "customer",
    "credit_escalation_decide": "customer",
    "credit_limit_request_decide": "customer",
    "api_customer_credit": "customer",
    "contact": "contact",
    "invoice": "invoice",
    "cash_write_off": "invoice",
    "cash_write_off_decide": None,
    "cash_invoice_contra": "invoice",
    "payment": "payment",
    "cash_payment": "payment",
    "api_cash_apply_suggestion": "payment",
    "creditmemo": "credit_memo",
    "cash_credit_memo": "credit_memo",
    "application": "application",
    "cash_application_reverse": "application",
    "adjustment": "adjustment",
    "dispute": "dispute",
    "credit_order": "order_pk",
    "export": "export",
    "api_report_export": "export",
    "dunning_level": "dunning_level",
    "dunning_template": "dunning_template",
    "credit_application": "credit_application",
}


def _first_id(name: str, book: dict):
    for prefix in sorted(FIRST_IDS, key=len, reverse=True):
        if name.startswith(prefix):
            return MISSING if FIRST_IDS[prefix] is None else book[FIRST_IDS[prefix]]
    return MISSING


def _users() -> dict[str, object]:
    alice = user_in_role(roles.COLLECTOR, "alice")
    users = {roles.COLLECTOR: alice}
    for role in ROLES[1:]:
        users[role] = user_in_role(role, role.lower().replace(" ", "-"))
    for role, user in users.items():
        authority = "100000.00" if role == roles.CREDIT_MANAGER else "1000.00"
        credit.credit_authority_set(actor=None, user=user, amount=authority, currency="USD")
    return users


@pytest.fixture
def world(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    users = _users()
    book = _book(users[roles.COLLECTOR])
    return users, book


# What each role gets on GET, in the order of ROLES: Collector (alice, whose portfolio the
# book is in), Credit Manager, Finance, CFO, Admin, Resolver. 405: the route only takes a
# POST (the write's own refusal is tested beside it); 404 on a MISSING id or a record out of
# reach; 302: a page that sends its reader on (the cash index to the unapplied list).
MATRIX: dict[str, tuple[int, ...]] = {
    "activity_document": (404, 404, 404, 404, 404, 403),
    "adjustment-detail": (200, 200, 200, 200, 200, 403),
    "adjustment-list": (200, 200, 200, 200, 200, 403),
    "aging": (200, 200, 200, 200, 200, 403),
    "api-root": (200, 200, 200, 200, 200, 200),
    "api_cash_apply_suggestion": (403, 403, 405, 403, 405, 403),
    "api_cash_bank_import": (403, 403, 404, 404, 404, 403),
    "api_cash_bank_imports": (403, 403, 200, 200, 200, 403),
    "api_cash_unapplied": (403, 403, 200, 200, 200, 403),
    "api_credit_limit_request": (404, 404, 404, 404, 404, 403),
    "api_credit_limit_request_decide": (405, 405, 405, 405, 405, 403),
    "api_credit_limit_requests": (200, 200, 200, 200, 200, 403),
    "api_credit_review": (404, 404, 404, 404, 404, 403),
    "api_credit_reviews": (200, 200, 200, 200, 200, 403),
    "api_credit_reviews_due": (200, 200, 200, 200, 200, 403),
    "api_customer_credit": (200, 200, 200, 200, 200, 403),
    "api_docs": (200, 200, 200, 200, 200, 200),
    "api_order_cancel": (405, 405, 405, 405, 405, 403),
    "api_order_detail": (200, 200, 200, 200, 200, 403),
    "api_orders": (405, 405, 405, 405, 405, 403),
    "api_report_aging": (200, 200, 200, 200, 200, 403),
    "api_report_export": (200, 404, 404, 404, 404, 403),
    "api_report_export_download": (200, 404, 404, 404, 404, 403),
    "api_report_exports": (405, 405, 405, 405, 405, 403),
    "api_report_kpis": (200, 200, 200, 200, 200, 403),
    "api_schema": (200, 200, 200, 200, 200, 200),
    "application-detail": (200, 200, 200, 200, 200, 403),
    "application-list": (200, 200, 200, 200, 200, 403),
    "application-reverse": (403, 403, 405, 403, 405, 403),
    "cash_application_reverse": (405, 405, 405, 405, 405, 405),
    "cash_credit_memo_apply": (403, 403, 200, 200, 200, 403),
    "cash_credit_memo_new": (403, 403, 200, 403, 200, 403),
    "cash_credit_memo_refund": (403, 403, 200, 403, 200, 403),
    "cash_csv_import_detail": (403, 403, 404, 403, 404, 403),
    "cash_csv_imports": (403, 403, 200, 403, 200, 403),
    "cash_csv_mapping_edit": (403, 403, 404, 404, 404, 403),
    "cash_csv_mappings": (403, 403, 200, 200, 200, 403),
    "cash_import_detail": (403, 403, 404, 404, 404, 403),
    "cash_imports": (403, 403, 200, 200, 200, 403),
    "cash_index": (403, 403, 302, 302, 302, 403),
    "cash_invoice_contra": (403, 403, 200, 403, 200, 403),
    "cash_payment_apply": (403, 403, 200, 200, 200, 403),
    "cash_payment_new": (403, 403, 200, 403, 200, 403),
    "cash_payment_refund": (403, 403, 200, 403, 200, 403),
    "cash_payment_short": (405, 405, 405, 405, 405, 405),
    "cash_payment_unidentified": (405, 405, 405, 405, 405, 405),
    "cash_payment_void": (405, 405, 405, 405, 405, 405),
    "cash_refund_decide": (405, 405, 405, 405, 405, 405),
    "cash_refund_reverse": (405, 405, 405, 405, 405, 405),
    "cash_refunds": (403, 403, 200, 200, 200, 403),
    "cash_transaction_assign": (405, 405, 405, 405, 405, 405),
    "cash_unapplied": (403, 403, 200, 200, 200, 403),
    "cash_write_off": (403, 403, 200, 403, 200, 403),
    "cash_write_off_decide": (405, 405, 405, 405, 405, 405),
    "cash_write_offs": (403, 200, 200, 200, 200, 403),
    "contact-detail": (200, 200, 200, 200, 200, 403),
    "contact-list": (200, 200, 200, 200, 200, 403),
    "credit_application": (403, 200, 403, 403, 200, 403),
    "credit_application_pdf": (403, 200, 403, 403, 200, 403),
    "credit_applications": (403, 200, 403, 403, 200, 403),
    "credit_customer": (200, 200, 200, 200, 200, 404),
    "credit_escalation_decide": (405, 405, 405, 405, 405, 405),
    "credit_hold_rule": (403, 404, 403, 403, 404, 403),
    "credit_hold_rules": (403, 200, 403, 403, 200, 403),
    "credit_inbox": (403, 200, 403, 403, 200, 403),
    "credit_limit_request_decide": (405, 405, 405, 405, 405, 405),
    "credit_limit_set": (405, 405, 405, 405, 405, 405),
    "credit_order": (200, 200, 200, 200, 200, 404),
    "credit_order_forward": (405, 405, 405, 405, 405, 405),
    "credit_order_recheck": (405, 405, 405, 405, 405, 405),
    "credit_order_reject": (405, 405, 405, 405, 405, 405),
    "credit_order_release": (405, 405, 405, 405, 405, 405),
    "credit_releases": (200, 200, 200, 200, 200, 403),
    "credit_releases_bulk": (405, 405, 405, 405, 405, 405),
    "credit_review_record": (405, 405, 405, 405, 405, 405),
    "credit_rule_hit_noted": (405, 405, 405, 405, 405, 405),
    "credit_status_set": (405, 405, 405, 405, 405, 405),
    "creditmemo-apply": (403, 403, 405, 403, 405, 403),
    "creditmemo-detail": (200, 200, 200, 200, 200, 403),
    "creditmemo-list": (200, 200, 200, 200, 200, 403),
    "customer-detail": (200, 200, 200, 200, 200, 403),
    "customer-list": (200, 200, 200, 200, 200, 403),
    "customer_detail": (200, 200, 200, 200, 200, 403),
    "customer_list": (200, 200, 200, 200, 200, 403),
    "dashboard": (200, 200, 200, 200, 200, 403),
    "dispute": (200, 200, 200, 200, 200, 404),
    "dispute-assign": (405, 405, 405, 405, 405, 405),
    "dispute-attachment-download": (404, 404, 404, 404, 404, 404),
    "dispute-attachments": (200, 200, 200, 200, 200, 404),
    "dispute-comments": (200, 200, 200, 200, 200, 404),
    "dispute-detail": (200, 200, 200, 200, 200, 404),
    "dispute-list": (200, 200, 200, 200, 200, 200),
    "dispute-reports": (200, 200, 200, 200, 200, 200),
    "dispute-transition": (405, 405, 405, 405, 405, 405),
    "dispute_assign": (405, 405, 405, 405, 405, 405),
    "dispute_attach": (405, 405, 405, 405, 405, 405),
    "dispute_attachment": (404, 404, 404, 404, 404, 404),
    "dispute_bulk_assign": (405, 405, 405, 405, 405, 405),
    "dispute_comment": (405, 405, 405, 405, 405, 405),
    "dispute_list": (200, 200, 200, 200, 200, 200),
    "dispute_move": (405, 405, 405, 405, 405, 405),
    "dispute_proposal_decide": (405, 405, 405, 405, 405, 405),
    "dispute_propose": (405, 405, 405, 405, 405, 405),
    "dispute_report": (200, 200, 200, 200, 200, 200),
    "dunning_communication_document": (403, 404, 403, 404, 404, 403),
    "dunning_communication_retry": (403, 405, 403, 403, 405, 403),
    "dunning_level_edit": (403, 200, 403, 403, 200, 403),
    "dunning_policies": (403, 200, 403, 200, 200, 403),
    "dunning_run": (403, 404, 403, 404, 404, 403),
    "dunning_run_approve": (403, 404, 403, 403, 404, 403),
    "dunning_run_cancel": (403, 405, 403, 403, 405, 403),
    "dunning_run_print": (403, 404, 403, 404, 404, 403),
    "dunning_run_progress": (403, 404, 403, 404, 404, 403),
    "dunning_run_resume": (403, 405, 403, 403, 405, 403),
    "dunning_run_start": (403, 405, 403, 403, 405, 403),
    "dunning_runs": (403, 200, 403, 200, 200, 403),
    "dunning_template_edit": (403, 403, 403, 403, 200, 403),
    "dunning_template_list": (403, 403, 403, 403, 200, 403),
    "dunning_template_preview": (403, 403, 403, 403, 405, 403),
    "dunning_template_preview_pdf": (403, 403, 403, 403, 405, 403),
    "dunning_template_variant_create": (403, 403, 403, 403, 405, 403),
    "exchangerate-detail": (404, 404, 404, 404, 404, 404),
    "exchangerate-list": (200, 200, 200, 200, 200, 200),
    "export_create": (405, 405, 405, 405, 405, 403),
    "export_download": (200, 404, 404, 404, 404, 403),
    "export_status": (200, 404, 404, 404, 404, 403),
    "healthz": (200, 200, 200, 200, 200, 200),
    "home": (302, 302, 302, 302, 302, 302),
    "import-customers": (403, 403, 405, 403, 405, 403),
    "import-exchange-rates": (403, 403, 405, 403, 405, 403),
    "import-invoices": (403, 403, 405, 403, 405, 403),
    "import-orders": (403, 403, 405, 403, 405, 403),
    "import-payments": (403, 403, 405, 403, 405, 403),
    "invoice-detail": (200, 200, 200, 200, 200, 403),
    "invoice-list": (200, 200, 200, 200, 200, 403),
    "invoice_detail": (200, 200, 200, 200, 200, 403),
    "invoice_list": (200, 200, 200, 200, 200, 403),
    "login": (200, 200, 200, 200, 200, 200),
    "logout": (405, 405, 405, 405, 405, 405),
    "my_day": (200, 200, 200, 200, 200, 403),
    "password_reset": (200, 200, 200, 200, 200, 200),
    "password_reset_complete": (200, 200, 200, 200, 200, 200),
    "password_reset_confirm": (200, 200, 200, 200, 200, 200),
    "password_reset_done": (200, 200, 200, 200, 200, 200),
    "payment-apply": (403, 403, 405, 403, 405, 403),
    "payment-detail": (200, 200, 200, 200, 200, 403),
    "payment-list": (200, 200, 200, 200, 200, 403),
    "payment_detail": (200, 200, 200, 200, 200, 403),
    "payment_list": (200, 200, 200, 200, 200, 403),
    "queue": (200, 200, 200, 200, 200, 403),
    "queue_next": (404, 404, 404, 404, 404, 403),
    "team": (403, 200, 200, 200, 200, 403),
    "team_reassign": (403, 405, 403, 403, 405, 403),
    "workspace_billing_address": (405, 405, 403, 403, 405, 403),
    "workspace_call": (405, 405, 403, 403, 405, 403),
    "workspace_contact_add": (405, 405, 405, 403, 405, 403),
    "workspace_contact_update": (405, 405, 403, 403, 405, 403),
    "workspace_dispute": (405, 405, 403, 403, 405, 403),
    "workspace_dispute_resolve": (405, 405, 405, 405, 405, 403),
    "workspace_dunning_policy": (405, 405, 405, 405, 405, 403),
    "workspace_dunning_stop": (405, 405, 405, 405, 405, 403),
    "workspace_dunning_stop_lift": (405, 405, 405, 405, 405, 403),
    "workspace_email": (405, 405, 403, 403, 405, 403),
    "workspace_email_status": (200, 200, 200, 200, 200, 403),
    "workspace_escalate": (405, 405, 403, 403, 405, 403),
    "workspace_escalation_resolve": (405, 405, 405, 405, 405, 403),
    "workspace_follow_up": (405, 405, 403, 403, 405, 403),
    "workspace_follow_up_done": (405, 405, 405, 405, 405, 403),
    "workspace_invoice_dunning_stop": (405, 405, 405, 405, 405, 403),
    "workspace_invoice_dunning_stop_lift": (405, 405, 405, 405, 405, 403),
    "workspace_items": (302, 302, 302, 302, 302, 403),
    "workspace_payment_plan": (405, 405, 403, 403, 405, 403),
    "workspace_payment_plan_cancel": (405, 405, 405, 405, 405, 403),
    "workspace_promise": (405, 405, 403, 403, 405, 403),
    "workspace_promise_cancel": (405, 405, 405, 405, 405, 403),
    "workspace_statement": (200, 200, 200, 200, 200, 403),
    "workspace_timeline": (200, 200, 200, 200, 200, 403),
}
# Routes anyone may open: the login, the password reset and the health check.
PUBLIC = {
    "login",
    "logout",
    "healthz",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
}


def _is_api(url: str) -> bool:
    return url.startswith("/api/")


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _headers_problems(name: str, method: str, response) -> list[str]:
    problems = []
    if "no-store" not in response.get("Cache-Control", ""):
        problems.append(f"{method} {name}: Cache-Control {response.get('Cache-Control')!r}")
    if "base-uri 'none'" not in response.get("Content-Security-Policy", ""):
        problems.append(f"{method} {name}: no CSP with base-uri 'none'")
    return problems


def _written() -> tuple:
    """Every write a route could make leaves an audit entry; the rest are counted."""
    from collections_app.models import Activity
    from disputes.models import DisputeEvent
    from dunning.models import DunningRun
    from orders.models import OrderDecision

    return (
        AuditEntry.objects.count(),
        Activity.objects.count(),
        DisputeEvent.objects.count(),
        OrderDecision.objects.count(),
        DunningRun.objects.count(),
        Application.objects.count(),
        sorted(Invoice.objects.values_list("pk", "open_amount")),
        sorted(Payment.objects.values_list("pk", "unapplied_amount", "status")),
    )


def test_every_route_is_in_the_matrix():
    assert set(routes()) == set(MATRIX)
    assert set(routes()) >= PUBLIC


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_what_the_matrix_says_on_every_route(role, world):
    users, book = world
    client = _signed_in(users[role])
    column = ROLES.index(role)
    got, headers = {}, []

    for name, pattern in sorted(routes().items()):
        response = client.get(reverse(name, kwargs=_kwargs(name, pattern, book)))
        got[name] = response.status_code
        headers += _headers_problems(name, "GET", response)

    assert got == {name: row[column] for name, row in MATRIX.items()}
    assert headers == []


@pytest.mark.parametrize("role", ROLES)
def test_an_empty_post_to_every_route_never_fails_and_keeps_the_headers(role, world):
    """A POST with nothing in it to every route (a form sent empty, a client's mistake):
    never a 5xx; the read-only roles write nothing."""
    users, book = world
    client = _signed_in(users[role])
    before = _written()
    failures, headers = {}, []

    for name, pattern in sorted(routes().items()):
        if name in PUBLIC:
            continue
        url = reverse(name, kwargs=_kwargs(name, pattern, book))
        if _is_api(url):
            response = client.post(url, {}, content_type="application/json")
        else:
            response = client.post(url, {})
        if response.status_code >= 500:
            failures[name] = response.status_code
        headers += _headers_problems(name, "POST", response)

    assert failures == {}
    assert headers == []
    if role in (roles.CFO, roles.RESOLVER):
        assert _written() == before


def test_anonymous_visitors_reach_only_the_public_routes(world):
    """A page sends an anonymous visitor to the login page (a POST-only page may first say
    405 to a GET) and shows nothing; the API answers 401; only PUBLIC routes answer more."""
    _, book = world
    client = Client()
    answers, expected = {}, {}

    for name, pattern in sorted(routes().items()):
        url = reverse(name, kwargs=_kwargs(name, pattern, book))
        got, sent = client.get(url), client.post(url, {})
        if name in PUBLIC:
            answers[name] = got.status_code
            expected[name] = 405 if name == "logout" else 200  # Django's logout is POST only
        elif _is_api(url):
            answers[name] = (got.status_code, sent.status_code)
            expected[name] = (401, 401)
            if url.startswith("/api/v1/"):
                assert b"Authentication credentials were not provided." in got.content, name
        else:
            login = f"/login/?next={url}"
            answers[name] = (got.status_code, got.get("Location"), sent.get("Location"))
            expected[name] = (405, None, login) if got.status_code == 405 else (302, login, login)
            assert (got.content, sent.content) == (b"", b""), name

    assert answers == expected
