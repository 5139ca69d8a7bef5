"""Log in and out, the role-aware base layout, login throttling, and list-page query counts."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts import roles
from tests.factories import CustomerFactory, UserFactory, invoice, payment, user_in_role

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests-only"


@pytest.fixture
def alice():
    return user_in_role(roles.COLLECTOR, "alice")


def _logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- log in, log out ------------------------------------------------------------------------


def test_the_login_page_renders_its_form():
    response = Client().get("/login/")

    assert response.status_code == 200
    assert b'name="username"' in response.content
    assert b'name="password"' in response.content
    assert b'name="csrfmiddlewaretoken"' in response.content


def test_logging_in_with_the_right_password_lands_a_collector_on_the_queue(alice):
    client = Client()

    response = client.post("/login/", {"username": "alice", "password": PASSWORD}, follow=True)

    assert response.redirect_chain == [("/", 302), ("/queue/", 302)]
    assert response.status_code == 200
    assert response.context["user"] == alice


@pytest.mark.parametrize(
    ("role", "landing"),
    [
        (roles.COLLECTOR, "/queue/"),
        (roles.CREDIT_MANAGER, "/credit/"),
        (roles.CFO, "/dashboard/"),
        (roles.FINANCE, "/reports/aging/"),
        (roles.ADMIN, "/customers/"),
    ],
)
def test_each_role_lands_on_its_own_start_page(role, landing):
    user = user_in_role(role, "someone")

    response = _logged_in(user).get("/")

    assert (response.status_code, response["Location"]) == (302, landing)


def test_logging_in_honours_a_local_next_but_not_another_site(alice):
    local = Client().post("/login/?next=/invoices/", {"username": "alice", "password": PASSWORD})
    foreign = Client().post(
        "/login/?next=https://evil.example/", {"username": "alice", "password": PASSWORD}
    )

    assert (local.status_code, local["Location"]) == (302, "/invoices/")
    assert (foreign.status_code, foreign["Location"]) == (302, "/")


def test_a_wrong_password_shows_the_form_again_and_logs_nobody_in(alice):
    client = Client()

    response = client.post("/login/", {"username": "alice", "password": "wrong"})

    assert response.status_code == 200
    assert b"Your username and password didn't match" in response.content
    assert "_auth_user_id" not in client.session
    assert client.get("/customers/")["Location"] == "/login/?next=/customers/"


def test_logging_out_by_post_ends_the_session(alice):
    client = _logged_in(alice)

    response = client.post("/logout/")

    assert (response.status_code, response["Location"]) == (302, "/login/")
    assert "_auth_user_id" not in client.session
    assert client.get("/customers/")["Location"] == "/login/?next=/customers/"


def test_logging_out_by_get_is_refused_and_keeps_the_session(alice):
    client = _logged_in(alice)

    response = client.get("/logout/")

    assert response.status_code == 405
    assert client.get("/customers/").status_code == 200


def test_five_failed_logins_lock_the_account_even_for_the_right_password(settings, alice):
    settings.AXES_ENABLED = True
    client = Client()

    failures = [
        client.post("/login/", {"username": "alice", "password": f"wrong-{n}"}).status_code
        for n in range(5)
    ]
    right = client.post("/login/", {"username": "alice", "password": PASSWORD})

    assert failures == [200, 200, 200, 200, 429]
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session


def test_with_throttling_on_a_right_password_still_logs_in(settings, alice):
    settings.AXES_ENABLED = True
    client = Client()

    client.post("/login/", {"username": "alice", "password": "wrong"})
    response = client.post("/login/", {"username": "alice", "password": PASSWORD})

    assert (response.status_code, response["Location"]) == (302, "/")


# --- the base layout ------------------------------------------------------------------------


def test_a_collectors_navigation_has_no_admin_link(alice):
    response = _logged_in(alice).get("/customers/")

    assert response.context["nav_items"] == [
        ("Queue", "/queue/"),
        ("Customers", "/customers/"),
        ("Dashboard", "/dashboard/"),
        ("Invoices", "/invoices/"),
        ("Aging", "/reports/aging/"),
        ("Payments", "/payments/"),
        ("Disputes", "/disputes/"),
        # held orders of their portfolio, released within their authority (docs/orders.md)
        ("Releases", "/credit/releases/"),
        ("API", "/api/docs/"),
    ]
    assert b'href="/admin/"' not in response.content
    assert b'<span class="role">Collector</span>' in response.content
    assert b"team view" not in response.content


def test_staff_see_the_admin_link(alice):
    admin = user_in_role(roles.ADMIN, "ada", is_staff=True)

    response = _logged_in(admin).get("/customers/")

    assert response.context["nav_items"][-1] == ("Admin", "/admin/")
    assert b'href="/admin/"' in response.content
    assert b'<span class="badge">team view</span>' in response.content


def test_a_user_without_a_role_is_refused_the_pages_as_on_the_api():
    nobody = UserFactory(username="nobody")
    mine = CustomerFactory(external_ref="MINE", assigned_collector=nobody)
    client = _logged_in(nobody)
    api = APIClient()
    api.force_authenticate(nobody)

    pages = [client.get(path).status_code for path in ("/customers/", f"/customers/{mine.pk}/")]
    apis = [
        api.get(path).status_code
        for path in ("/api/v1/customers/", f"/api/v1/customers/{mine.pk}/")
    ]

    assert pages == [403, 403]
    assert apis == [403, 403]


def test_anonymous_pages_show_no_navigation():
    response = Client().get("/login/")

    assert response.context["nav_items"] == []
    assert b'<nav aria-label="Main">' not in response.content


# --- query counts: constant whatever the page size ------------------------------------------


def _queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    return len(queries)


def test_the_customer_list_page_runs_the_same_queries_for_1_and_50_rows(alice):
    client = _logged_in(alice)
    parent = CustomerFactory(external_ref="PARENT", assigned_collector=alice)

    one = _queries(client, "/customers/")
    for n in range(49):
        CustomerFactory(external_ref=f"C{n:03d}", assigned_collector=alice, parent=parent)
    fifty = _queries(client, "/customers/")

    assert (one, fifty) == (7, 7)


def test_the_invoice_list_page_runs_the_same_queries_for_1_and_50_rows(alice):
    client = _logged_in(alice)
    acme = CustomerFactory(assigned_collector=alice)

    invoice(acme, "10.00", number="INV-000")
    one = _queries(client, "/invoices/")
    for n in range(1, 50):
        invoice(CustomerFactory(assigned_collector=alice), "10.00", number=f"INV-{n:03d}")
    fifty = _queries(client, "/invoices/")

    assert (one, fifty) == (7, 7)


def test_the_payment_list_page_runs_the_same_queries_for_1_and_50_rows(alice):
    client = _logged_in(alice)
    acme = CustomerFactory(assigned_collector=alice)

    payment(acme, "10.00", reference="PAY-000")
    one = _queries(client, "/payments/")
    for n in range(1, 50):
        payment(CustomerFactory(assigned_collector=alice), "10.00", reference=f"PAY-{n:03d}")
    fifty = _queries(client, "/payments/")

    assert (one, fifty) == (7, 7)


# The customer page is the collector's workspace: its query count is asserted in
# tests/collections_app/test_workspace.py with 5 and 200 rows.


def test_the_navigation_marks_the_section_of_the_page(alice):
    client = _logged_in(alice)
    customer = CustomerFactory(assigned_collector=alice)

    assert client.get("/customers/").context["nav_current"] == "Customers"
    assert client.get(f"/customers/{customer.pk}/").context["nav_current"] == "Customers"
    assert client.get(f"/customers/{customer.pk}/?from=1").context["nav_current"] == "Queue"
    assert client.get("/queue/").context["nav_current"] == "Queue"
    assert client.get("/reports/aging/").context["nav_current"] == "Aging"
