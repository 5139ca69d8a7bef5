"""Reach: a collector sees and changes only their own portfolio, on every page and API route.

The route lists are discovered from the URL configuration, so a new id route (page,
viewset or custom action) fails ``test_every_*_is_checked`` until its reach is checked here.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import roles
from accounts.models import AuditEntry, Contact, Customer, ExchangeRate
from dunwell import api_urls
from invoices import services
from invoices.models import (
    Adjustment,
    Application,
    CreditMemo,
    IdempotencyKey,
    Invoice,
    Payment,
)
from reporting.exports import export_path
from reporting.models import ExportJob
from tests.cash import test_api as cash_api
from tests.cash import test_pages as cash_pages
from tests.collections_app import test_workspace_reach as workspace_reach
from tests.credit import test_api_resources as credit_api
from tests.credit import test_applications as credit_applications
from tests.credit import test_hold_rules as hold_rule_pages
from tests.credit import test_pages as credit_pages
from tests.disputes import test_api as dispute_api
from tests.disputes import test_reach as dispute_reach
from tests.dunning import test_page_reach as dunning_page_reach
from tests.dunning import test_template_reach as dunning_template_reach
from tests.factories import ContactFactory, CustomerFactory, invoice, payment, user_in_role
from tests.orders import test_lifecycle as order_api
from tests.orders import test_release_pages as order_pages

pytestmark = pytest.mark.django_db

ANONYMOUS_API_BODY = {"detail": "Authentication credentials were not provided."}


@dataclass
class Book:
    """One collector's portfolio: a customer and one of every ledger record, and a finished
    aging export they asked for."""

    customer: Customer
    contact: Contact
    invoice: Invoice
    payment: Payment
    credit_memo: CreditMemo
    application: Application
    adjustment: Adjustment
    export_job: ExportJob


def _book(owner, tag: str) -> Book:
    customer = CustomerFactory(
        external_ref=f"{tag}-CUST", name=f"{tag} Industries", assigned_collector=owner
    )
    contact = ContactFactory(customer=customer, name=f"{tag} Payables")
    inv = invoice(customer, "500.00", number=f"{tag}-INV-1")
    cash = payment(customer, "300.00", reference=f"{tag}-PAY-1")
    (application,) = services.payment_apply(
        actor=None,
        payment=cash,
        allocations=[services.Allocation(invoice_id=inv.pk, amount=Decimal("100.00"))],
    )
    memo = services.credit_memo_issue(
        actor=None,
        customer=customer,
        number=f"{tag}-CM-1",
        issue_date=datetime.date(2026, 1, 15),
        amount="50.00",
        reason="Damaged goods",
    )
    adjustment = services.invoice_adjust(
        actor=None, invoice=inv, kind="write_off", amount="10.00", reason="Goodwill"
    )
    return Book(customer, contact, inv, cash, memo, application, adjustment, _export(owner, tag))


def _export(owner, tag: str) -> ExportJob:
    job = ExportJob.objects.create(
        user=owner,
        kind="summary",
        format="csv",
        parameters={"as_of": "2026-06-30"},
        status="done",
        progress=100,
        file_name=f"{tag}-aging.csv",
        # finished now: offered for download for REPORTING_EXPORT_KEEP_DAYS
        finished_at=timezone.now(),
    )
    path = export_path(job)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"Group,Total\n{tag} Industries,390.00\n")
    return job


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _grant(user, *perms: str):
    for perm in perms:
        app_label, codename = perm.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return type(user).objects.get(pk=user.pk)


@pytest.fixture
def alice():
    """A collector who may also apply cash and change customers, but has no team view."""
    user = user_in_role(roles.COLLECTOR, "alice")
    return _grant(
        user, "invoices.add_application", "accounts.change_customer", "credit.change_credit"
    )


@pytest.fixture
def bob():
    return user_in_role(roles.COLLECTOR, "bob")


@pytest.fixture
def book_a(alice):
    return _book(alice, "A")


@pytest.fixture
def book_b(bob):
    return _book(bob, "B")


def _api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def _ledger_state() -> dict:
    """Everything a refused write must leave exactly as it was."""
    return {
        "customers": sorted(Customer.objects.values_list("pk", "credit_limit", "credit_status")),
        "contacts": Contact.objects.count(),
        "invoices": sorted(Invoice.objects.values_list("pk", "open_amount")),
        "payments": sorted(Payment.objects.values_list("pk", "unapplied_amount")),
        "credit_memos": sorted(CreditMemo.objects.values_list("pk", "unapplied_amount")),
        "applications": Application.objects.count(),
        "adjustments": Adjustment.objects.count(),
        "audit": AuditEntry.objects.count(),
        "idempotency_keys": IdempotencyKey.objects.count(),
        "exchange_rates": sorted(ExchangeRate.objects.values_list("pk", "rate")),
    }


# --- the routes, discovered from the URL configuration -----------------------------------


def _walk(patterns, prefix=""):
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            yield route, entry


def _takes_an_id(pattern: URLPattern) -> bool:
    return bool(set(pattern.pattern.regex.groupindex) - {"format"})


def _methods(pattern: URLPattern) -> set[str]:
    actions = getattr(pattern.callback, "actions", None)
    if actions:
        # DRF adds "head" beside "get" on the first request; it reads like get.
        return set(actions) - {"head", "options"}
    view_class = getattr(pattern.callback, "view_class", None)
    if view_class is None:
        return {"get"}
    return {m for m in ("get", "post", "put", "patch", "delete") if hasattr(view_class, m)}


def _api_routes(*, with_id: bool) -> set[tuple[str, str]]:
    return {
        (pattern.name, method)
        for _, pattern in _walk(api_urls.urlpatterns)
        if pattern.name != "api-root" and _takes_an_id(pattern) == with_id
        for method in _methods(pattern)
    }


def _page_id_routes() -> set[str]:
    return {
        pattern.name
        for route, pattern in _walk(get_resolver().url_patterns)
        if not route.startswith(("admin/", "api/")) and _takes_an_id(pattern)
    }


def _apply_body(book: Book) -> dict:
    return {"allocations": [{"invoice": book.invoice.pk, "amount": "10.00"}]}


# (url name, method) -> (the Book attribute the id names, the request body for the target book)
API_ID_ROUTES = {
    ("customer-detail", "get"): ("customer", None),
    ("customer-detail", "put"): ("customer", lambda book: {"credit_limit": "1.00"}),
    # credit fields change only through the credit endpoint (below), with a reason
    ("customer-detail", "patch"): ("customer", lambda book: {"do_not_contact": True}),
    ("contact-detail", "get"): ("contact", None),
    ("invoice-detail", "get"): ("invoice", None),
    ("payment-detail", "get"): ("payment", None),
    ("payment-apply", "post"): ("payment", _apply_body),
    ("creditmemo-detail", "get"): ("credit_memo", None),
    ("creditmemo-apply", "post"): ("credit_memo", _apply_body),
    ("application-detail", "get"): ("application", None),
    ("application-reverse", "post"): ("application", lambda book: {"note": "reach check"}),
    ("adjustment-detail", "get"): ("adjustment", None),
    ("api_customer_credit", "get"): ("customer", None),
    (
        "api_customer_credit",
        "patch",
    ): ("customer", lambda book: {"credit_limit": "1.00", "reason": "over_limit"}),
    # an export is its owner's only, whatever the reader's reach
    ("api_report_export", "get"): ("export_job", None),
    ("api_report_export_download", "get"): ("export_job", None),
}
PAGE_ID_ROUTES = {
    "customer_detail": "customer",
    "invoice_detail": "invoice",
    "payment_detail": "payment",
}
# list url name -> the Book attribute whose rows the list shows
API_LISTS = {
    "customer-list": "customer",
    "contact-list": "contact",
    "invoice-list": "invoice",
    "payment-list": "payment",
    "creditmemo-list": "credit_memo",
    "application-list": "application",
    "adjustment-list": "adjustment",
}
TEAM_VIEW_ROLES = [roles.CREDIT_MANAGER, roles.CFO, roles.FINANCE]
# Reference data in no portfolio: every role reads it, the role's model permissions decide
# who writes it (tests/accounts/test_exchange_rates.py).
REFERENCE_ID_ROUTES = {
    ("exchangerate-detail", "get"),
    ("exchangerate-detail", "put"),
    ("exchangerate-detail", "patch"),
}
REFERENCE_LISTS = {"exchangerate-list"}


def _reference_url(name: str) -> str:
    if not name.endswith("-detail"):
        return reverse(name)
    rate, _ = ExchangeRate.objects.get_or_create(
        currency_id="EUR",
        quote_currency_id="USD",
        valid_from=datetime.date(2026, 1, 1),
        defaults={"rate": Decimal("1.1")},
    )
    return reverse(name, kwargs={"pk": rate.pk})


def _elsewhere_kwargs(name: str) -> dict:
    if name.startswith(("api_credit_", "api_cash_")):
        return {"pk": 1}
    return dispute_api.url_kwargs(name) if name.startswith("dispute-") else {"ref": "ANY-REF"}


# API id routes whose reach is tested beside their feature, not here.
# tests/orders/test_lifecycle.py, tests/disputes/test_api.py, tests/cash/test_api.py
API_ID_ROUTES_CHECKED_ELSEWHERE = (
    order_api.API_ROUTES | dispute_api.API_ROUTES | credit_api.API_ROUTES | cash_api.API_ROUTES
)


def _portfolio_id_routes() -> list[tuple[str, str]]:
    return sorted(_api_routes(with_id=True) - REFERENCE_ID_ROUTES - API_ID_ROUTES_CHECKED_ELSEWHERE)


def test_every_api_route_that_takes_an_id_is_checked():
    assert (
        _api_routes(with_id=True)
        == set(API_ID_ROUTES) | REFERENCE_ID_ROUTES | API_ID_ROUTES_CHECKED_ELSEWHERE
    )


def test_every_registered_viewset_has_its_detail_route_checked():
    registered = {f"{basename}-detail" for _, _, basename in api_urls.router.registry}
    assert registered == {
        name
        for name, method in set(API_ID_ROUTES) | REFERENCE_ID_ROUTES | {("dispute-detail", "get")}
        if method == "get" and not name.startswith("api_")
    }
    assert {f"{basename}-list" for _, _, basename in api_urls.router.registry} == set(
        API_LISTS
    ) | REFERENCE_LISTS | {"dispute-list"}


# Id routes whose reach is tested beside their feature, not here.
PAGE_ID_ROUTES_CHECKED_ELSEWHERE = {
    *workspace_reach.READS,  # tests/collections_app/test_workspace_reach.py
    *workspace_reach.WRITES,
    "export_status",  # tests/reporting/test_aging_page.py: a job is its owner's only
    "export_download",
    *dunning_page_reach.ROUTES,  # tests/dunning/test_page_reach.py
    *dunning_template_reach.ROUTES,  # tests/dunning/test_template_reach.py
    *credit_pages.ROUTES,  # tests/credit/test_pages.py
    *hold_rule_pages.ROUTES,  # tests/credit/test_hold_rules.py: a rule, not a customer
    *credit_applications.ROUTES,  # tests/credit/test_applications.py: no customer yet
    *cash_pages.ROUTES,  # tests/cash/test_pages.py
    *dispute_reach.ROUTES,  # tests/disputes/test_reach.py
    *order_pages.ROUTES,  # tests/orders/test_release_pages.py
    # public by design: the signed, single-use token in the link is the check
    # (tests/hardening/test_login_hardening.py)
    "password_reset_confirm",
}
# Report endpoints: reach tested in tests/reporting/test_api_aging.py and test_api_kpis.py.
API_REPORTS_CHECKED_ELSEWHERE = {"api_report_aging", "api_report_kpis"}


def test_every_page_that_takes_an_id_is_checked():
    assert _page_id_routes() == set(PAGE_ID_ROUTES) | PAGE_ID_ROUTES_CHECKED_ELSEWHERE


def test_every_api_list_is_checked():
    lists = {name for name, method in _api_routes(with_id=False) if method == "get"}
    assert lists == (
        set(API_LISTS)
        | API_REPORTS_CHECKED_ELSEWHERE
        | REFERENCE_LISTS
        | dispute_api.API_LISTS
        | credit_api.API_LISTS
        | cash_api.API_LISTS
    )


# --- another portfolio's id is a 404, and looks like an id that does not exist -------------


@pytest.mark.parametrize(("name", "method"), _portfolio_id_routes())
def test_collector_gets_404_for_another_portfolios_id_on_the_api(
    name, method, alice, book_a, book_b
):
    attribute, body = API_ID_ROUTES[(name, method)]
    target = getattr(book_b, attribute)
    data = body(book_b) if body else None
    unknown_pk = type(target).objects.order_by("-pk").first().pk + 1000
    before = _ledger_state()

    response = getattr(_api(alice), method)(
        reverse(name, kwargs={"pk": target.pk}), data, format="json"
    )
    unknown = getattr(_api(alice), method)(
        reverse(name, kwargs={"pk": unknown_pk}), data, format="json"
    )

    assert response.status_code == 404
    assert response.json() == unknown.json()
    assert unknown.status_code == 404
    assert _ledger_state() == before


@pytest.mark.parametrize(("name", "method"), _portfolio_id_routes())
def test_collector_reaches_their_own_id_on_the_api(name, method, alice, book_a, book_b):
    attribute, body = API_ID_ROUTES[(name, method)]
    target = getattr(book_a, attribute)

    response = getattr(_api(alice), method)(
        reverse(name, kwargs={"pk": target.pk}), body(book_a) if body else None, format="json"
    )

    # A PUT with only a credit limit gets as far as validating the whole customer.
    expected = {"get": 200, "put": 400, "patch": 200, "post": 201}[method]
    assert response.status_code == expected, response.content


@pytest.mark.parametrize("name", sorted(PAGE_ID_ROUTES))
def test_collector_gets_404_for_another_portfolios_page(name, alice, book_a, book_b):
    client = Client()
    client.force_login(alice)
    target = getattr(book_b, PAGE_ID_ROUTES[name])

    response = client.get(reverse(name, kwargs={"pk": target.pk}))

    assert response.status_code == 404
    assert b"B Industries" not in response.content
    assert b"B-CUST" not in response.content


@pytest.mark.parametrize("name", sorted(PAGE_ID_ROUTES))
def test_collector_opens_their_own_page(name, alice, book_a, book_b):
    client = Client()
    client.force_login(alice)

    response = client.get(reverse(name, kwargs={"pk": getattr(book_a, PAGE_ID_ROUTES[name]).pk}))

    assert response.status_code == 200
    assert b"A Industries" in response.content


@pytest.mark.parametrize("role", TEAM_VIEW_ROLES)
@pytest.mark.parametrize("name", sorted(PAGE_ID_ROUTES))
def test_team_view_opens_any_portfolios_page(name, role, book_a, book_b):
    client = Client()
    client.force_login(user_in_role(role, "lead"))

    response = client.get(reverse(name, kwargs={"pk": getattr(book_b, PAGE_ID_ROUTES[name]).pk}))

    assert response.status_code == 200
    assert b"B Industries" in response.content


# --- lists: another portfolio's rows never appear ------------------------------------------


def _list_ids(client, name: str) -> set[int]:
    response = client.get(reverse(name))
    assert response.status_code == 200
    body = response.json()
    assert body["next"] is None
    return {row["id"] for row in body["results"]}


@pytest.mark.parametrize("name", sorted(API_LISTS))
def test_collectors_api_list_shows_only_their_portfolio(name, alice, book_a, book_b):
    attribute = API_LISTS[name]

    assert _list_ids(_api(alice), name) == {getattr(book_a, attribute).pk}


@pytest.mark.parametrize("name", sorted(API_LISTS))
def test_the_browsable_api_never_names_another_portfolios_customer(name, alice, book_a, book_b):
    response = _api(alice).get(reverse(name), HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert b"&quot;count&quot;: 1," in response.content
    for theirs in (b"B Industries", b"B-CUST", b"B-INV-1", b"B-PAY-1", b"B-CM-1", b"B Payables"):
        assert theirs not in response.content


@pytest.mark.parametrize("role", TEAM_VIEW_ROLES)
@pytest.mark.parametrize("name", sorted(API_LISTS))
def test_team_view_api_list_shows_every_portfolio(name, role, book_a, book_b):
    attribute = API_LISTS[name]

    ids = _list_ids(_api(user_in_role(role, "lead")), name)

    assert ids == {getattr(book_a, attribute).pk, getattr(book_b, attribute).pk}


PAGE_LISTS = {
    "customer_list": lambda row: row.external_ref,
    "invoice_list": lambda row: row.number,
    "payment_list": lambda row: row.reference,
}


def _page_refs(client, name: str) -> set[str]:
    response = client.get(reverse(name))
    assert response.status_code == 200
    return {PAGE_LISTS[name](row) for row in response.context["page"].object_list}


def test_collectors_list_pages_show_only_their_portfolio(alice, book_a, book_b):
    client = Client()
    client.force_login(alice)

    assert _page_refs(client, "customer_list") == {"A-CUST"}
    assert _page_refs(client, "invoice_list") == {"A-INV-1"}
    assert _page_refs(client, "payment_list") == {"A-PAY-1"}
    for name in PAGE_LISTS:
        assert b"B Industries" not in client.get(reverse(name)).content


@pytest.mark.parametrize("role", TEAM_VIEW_ROLES)
def test_team_view_list_pages_show_every_portfolio(role, book_a, book_b):
    client = Client()
    client.force_login(user_in_role(role, "lead"))

    assert _page_refs(client, "customer_list") == {"A-CUST", "B-CUST"}
    assert _page_refs(client, "invoice_list") == {"A-INV-1", "B-INV-1"}
    assert _page_refs(client, "payment_list") == {"A-PAY-1", "B-PAY-1"}


def test_a_collectors_filter_cannot_probe_another_portfolios_ids(alice, book_a, book_b):
    unknown = Customer.objects.order_by("-pk").first().pk + 1000
    probes = {
        "contact-list": ("customer", book_b.customer.pk, unknown),
        "invoice-list": ("customer", book_b.customer.pk, unknown),
        "payment-list": ("customer", book_b.customer.pk, unknown),
        "creditmemo-list": ("customer", book_b.customer.pk, unknown),
        "application-list": ("invoice", book_b.invoice.pk, unknown),
        "adjustment-list": ("invoice", book_b.invoice.pk, unknown),
    }
    client = _api(alice)
    for name, (param, theirs, missing) in probes.items():
        seen = client.get(reverse(name), {param: theirs})
        absent = client.get(reverse(name), {param: missing})

        assert (name, seen.status_code, seen.json()) == (name, absent.status_code, absent.json())
        assert seen.json()["results"] == []


# --- anonymous users ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "method"), sorted(_api_routes(with_id=True) | _api_routes(with_id=False))
)
def test_anonymous_api_request_is_refused_with_nothing_in_the_body(name, method, book_b):
    attribute = API_ID_ROUTES.get((name, method), (API_LISTS.get(name), None))[0]
    kwargs = {"pk": getattr(book_b, attribute).pk} if (name, method) in API_ID_ROUTES else {}
    if (name, method) in API_ID_ROUTES_CHECKED_ELSEWHERE:
        kwargs = _elsewhere_kwargs(name)
    url = _reference_url(name) if name.startswith("exchangerate-") else reverse(name, kwargs=kwargs)
    before = _ledger_state()

    response = getattr(_api(), method)(url, {}, format="json")

    assert response.status_code == 401
    assert response.json() == ANONYMOUS_API_BODY
    assert _ledger_state() == before


@pytest.mark.parametrize("name", ["customer_list", "invoice_list", "payment_list", "home"])
def test_anonymous_list_page_redirects_to_login(name, book_b):
    path = reverse(name)

    response = Client().get(path)

    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={path}"
    assert response.content == b""


@pytest.mark.parametrize("name", sorted(PAGE_ID_ROUTES))
def test_anonymous_id_page_redirects_to_login(name, book_b):
    path = reverse(name, kwargs={"pk": getattr(book_b, PAGE_ID_ROUTES[name]).pk})

    response = Client().get(path)

    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={path}"
    assert response.content == b""


# --- writes naming another portfolio's records ----------------------------------------------


@pytest.fixture
def alice_who_may_write(alice):
    return _grant(
        alice,
        "accounts.add_customer",
        "invoices.add_invoice",
        "invoices.add_payment",
        "invoices.add_creditmemo",
        "invoices.add_adjustment",
    )


def _creates_naming(book_a: Book, book_b: Book) -> dict:
    """list url name -> (body naming B's record, the refusal)."""
    return {
        "customer-list": (
            {
                "external_ref": "A-NEW",
                "name": "New",
                "currency": "USD",
                "parent": book_b.customer.pk,
            },
            {"parent": [f'Invalid pk "{book_b.customer.pk}" - object does not exist.']},
        ),
        "contact-list": (
            {"customer": book_b.customer.pk, "name": "Spy"},
            {"customer": [f'Invalid pk "{book_b.customer.pk}" - object does not exist.']},
        ),
        "invoice-list": (
            {
                "number": "A-INV-NEW",
                "customer": "B-CUST",
                "issue_date": "2026-03-01",
                "due_date": "2026-03-31",
                "amount": "10.00",
                "currency": "USD",
            },
            {"customer": ["Object with external_ref=B-CUST does not exist."]},
        ),
        "payment-list": (
            {
                "reference": "A-PAY-NEW",
                "customer": "B-CUST",
                "received_date": "2026-03-01",
                "amount": "10.00",
            },
            {"customer": ["Object with external_ref=B-CUST does not exist."]},
        ),
        "creditmemo-list": (
            {
                "number": "A-CM-NEW",
                "customer": "B-CUST",
                "issue_date": "2026-03-01",
                "amount": "10.00",
                "reason": "Spy",
            },
            {"customer": ["Object with external_ref=B-CUST does not exist."]},
        ),
        "adjustment-list": (
            {"invoice": book_b.invoice.pk, "kind": "write_off", "amount": "1.00", "reason": "x"},
            {"invoice": [f'Invalid pk "{book_b.invoice.pk}" - object does not exist.']},
        ),
        "dispute-list": (
            {"customer": book_b.customer.pk, "reason": "pricing", "invoices": [book_b.invoice.pk]},
            {"customer": [f'Invalid pk "{book_b.customer.pk}" - object does not exist.']},
        ),
    }


# The viewsets' creates; the CSV imports under imports/ check their rows' reach themselves.
VIEWSET_CREATES = sorted(
    name
    for name, method in _api_routes(with_id=False)
    if method == "post"
    and name in {f"{b}-list" for _, _, b in api_urls.router.registry} - REFERENCE_LISTS
)


def test_every_viewset_create_is_checked_against_another_portfolio(book_a, book_b):
    assert set(VIEWSET_CREATES) == set(_creates_naming(book_a, book_b))


@pytest.mark.parametrize("name", VIEWSET_CREATES)
def test_collector_cannot_create_a_record_for_another_portfolio(
    name, alice_who_may_write, book_a, book_b
):
    body, refusal = _creates_naming(book_a, book_b)[name]
    before = _ledger_state()

    response = _api(alice_who_may_write).post(
        reverse(name), body, format="json", HTTP_IDEMPOTENCY_KEY="reach-1"
    )

    assert response.status_code == 400
    assert response.json() == refusal
    assert _ledger_state() == before


def _not_found(book: Book, index: int = 0) -> dict:
    return {
        "detail": f"invoice {book.invoice.pk} does not exist",
        "code": "invalid",
        "field": f"allocations[{index}]",
    }


def test_collector_cannot_post_cash_against_another_portfolios_invoice(
    alice_who_may_write, book_a, book_b
):
    before = _ledger_state()

    response = _api(alice_who_may_write).post(
        reverse("payment-list"),
        {
            "reference": "A-PAY-NEW",
            "customer": "A-CUST",
            "received_date": "2026-03-01",
            "amount": "20.00",
            "allocations": [
                {"invoice": book_a.invoice.pk, "amount": "10.00"},
                {"invoice": book_b.invoice.pk, "amount": "10.00"},
            ],
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == _not_found(book_b, 1)
    assert _ledger_state() == before


@pytest.mark.parametrize(
    ("name", "source"), [("payment-apply", "payment"), ("creditmemo-apply", "credit_memo")]
)
def test_collector_cannot_apply_their_money_to_another_portfolios_invoice(
    name, source, alice, book_a, book_b
):
    before = _ledger_state()

    response = _api(alice).post(
        reverse(name, kwargs={"pk": getattr(book_a, source).pk}),
        _apply_body(book_b),
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == _not_found(book_b)
    assert _ledger_state() == before


# --- roles: the CFO reads and never writes --------------------------------------------------


# POSTs that write no business record: asking for an export is reading the aging, which every
# role may (accounts/roles.py); tests/reporting/test_api_exports.py checks the CFO may.
READS_BY_POST = {("api_report_exports", "post")}


def test_cfo_is_refused_every_api_write(book_a, book_b):
    cfo = user_in_role(roles.CFO, "cfo")
    writes = sorted(
        (name, method)
        for name, method in _api_routes(with_id=True) | _api_routes(with_id=False)
        if method != "get" and (name, method) not in READS_BY_POST
    )
    _reference_url("exchangerate-detail")
    before = _ledger_state()

    for name, method in writes:
        if (name, method) in API_ID_ROUTES:
            attribute, body = API_ID_ROUTES[(name, method)]
            url = reverse(name, kwargs={"pk": getattr(book_b, attribute).pk})
            data = body(book_b)
        elif name.startswith("exchangerate-"):
            url, data = _reference_url(name), {"rate": "2"}
        elif (name, method) in API_ID_ROUTES_CHECKED_ELSEWHERE:
            url, data = reverse(name, kwargs=_elsewhere_kwargs(name)), {}
        else:
            url, data = reverse(name), _creates_naming(book_b, book_b).get(name, ({},))[0]
        response = getattr(_api(cfo), method)(url, data, format="json")

        assert (name, method, response.status_code) == (name, method, 403)
        assert response.json() == {"detail": "You do not have permission to perform this action."}
    assert set(writes) >= {key for key in API_ID_ROUTES if key[1] != "get"}
    assert set(writes) >= {(name, "post") for name in VIEWSET_CREATES}
    assert _ledger_state() == before
