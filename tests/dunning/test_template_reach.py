"""Reach of the dunning template editor: only ``change_dunningtemplate`` opens it, and the
customer a preview is rendered for comes from the user's own portfolio."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from accounts import roles
from dunning.models import DunningTemplate
from tests.collections_app.workflow import account, collector, overdue_invoice
from tests.factories import user_in_role

# Id routes whose reach these tests check; tests/collections_app/test_reach.py requires them.
ROUTES: set[str] = {
    "dunning_template_edit",
    "dunning_template_preview",
    "dunning_template_preview_pdf",
    "dunning_template_variant_create",
}

pytestmark = pytest.mark.django_db

# route -> (method, body that would succeed for an admin, the admin's status)
REQUESTS = {
    "dunning_template_edit": ("get", {}, 200),
    "dunning_template_preview": ("post", {"subject": "s", "body": "b"}, 200),
    "dunning_template_preview_pdf": ("post", {"subject": "s", "body": "b"}, 200),
    "dunning_template_variant_create": ("post", {"language": "fr"}, 302),
}


def test_every_route_of_the_editor_is_listed():
    assert set(REQUESTS) == ROUTES


@pytest.fixture
def template() -> DunningTemplate:
    return DunningTemplate.objects.get(code="firm_reminder", language="en")


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _call(client: Client, name: str, pk: int, **extra):
    method, body, _ = REQUESTS[name]
    return getattr(client, method)(reverse(name, kwargs={"pk": pk}), {**body, **extra})


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_an_admin_reaches_the_route(name, template):
    response = _call(_client(user_in_role(roles.ADMIN, "ada")), name, template.pk)

    assert response.status_code == REQUESTS[name][2]


@pytest.mark.parametrize("name", sorted(ROUTES))
@pytest.mark.parametrize("role", [roles.COLLECTOR, roles.CREDIT_MANAGER, roles.CFO])
def test_a_user_without_the_edit_permission_is_refused(name, role, template):
    before = list(DunningTemplate.objects.values_list("code", "language", "subject"))

    response = _call(_client(user_in_role(role, "someone")), name, template.pk)

    assert response.status_code == 403
    assert list(DunningTemplate.objects.values_list("code", "language", "subject")) == before


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_an_anonymous_visitor_is_sent_to_log_in(name, template):
    response = _call(_client(), name, template.pk)

    assert (response.status_code, response.url.split("?")[0]) == (302, "/login/")


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_a_template_that_does_not_exist_is_a_404(name):
    missing = (DunningTemplate.objects.order_by("-pk").first().pk or 0) + 1

    response = _call(_client(user_in_role(roles.ADMIN, "ada")), name, missing)

    assert response.status_code == 404


@pytest.mark.parametrize(
    "name", ["dunning_template_edit", "dunning_template_preview", "dunning_template_preview_pdf"]
)
def test_a_preview_for_another_portfolios_customer_is_a_404(name, template):
    editor = collector("cora")  # an editor without the team view
    editor.user_permissions.add(Permission.objects.get(codename="change_dunningtemplate"))
    theirs = account(collector("cleo"), "Theirs Inc")
    overdue_invoice(theirs, "99.00", days_late=10, number="THEIRS-1")
    mine = account(editor, "Mine Ltd")
    overdue_invoice(mine, "42.00", days_late=10, number="MINE-1")
    client = _client(editor)

    assert _call(client, name, template.pk, customer=theirs.pk).status_code == 404
    assert _call(client, name, template.pk, customer=mine.pk).status_code == 200


def test_the_preview_offers_only_customers_of_the_users_portfolio(template):
    editor = collector("cora")
    editor.user_permissions.add(Permission.objects.get(codename="change_dunningtemplate"))
    overdue_invoice(account(collector("cleo"), "Theirs Inc"), "99.00", days_late=10)
    mine = account(editor, "Mine Ltd")
    overdue_invoice(mine, "42.00", days_late=10)

    response = _client(editor).get(reverse("dunning_template_edit", kwargs={"pk": template.pk}))

    assert list(response.context["customers"]) == [mine]
    assert "Theirs Inc" not in response.content.decode()
