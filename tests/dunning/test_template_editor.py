"""The dunning template editor: list, edit with live preview, PDF preview, language variants,
and the sandbox a template is rendered in."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from pypdf import PdfReader

from accounts import roles
from accounts.errors import ServiceError
from accounts.models import AuditEntry
from dunning import documents
from dunning import services as dunning
from dunning.models import DunningTemplate
from tests.collections_app.workflow import account, collector, overdue_invoice
from tests.factories import ContactFactory, user_in_role

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def admin():
    return user_in_role(roles.ADMIN, "ada")


@pytest.fixture
def admin_client(admin) -> Client:
    client = Client()
    client.force_login(admin)
    return client


@pytest.fixture
def friendly() -> DunningTemplate:
    return DunningTemplate.objects.get(code="friendly_reminder", language="en")


@pytest.fixture
def acme():
    customer = account(collector("cora"), "Acme Widgets", billing_address="1 Main St")
    ContactFactory(customer=customer, name="Ann Payable", is_primary=True)
    overdue_invoice(customer, "120.00", days_late=3, number="ACME-1")
    overdue_invoice(customer, "80.00", days_late=20, number="ACME-2")
    return customer


def _form(template: DunningTemplate, **changes) -> dict:
    return {"name": template.name, "subject": template.subject, "body": template.body, **changes}


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


# The list and the edit page


def test_the_list_shows_every_code_with_its_language_variants(admin_client):
    response = admin_client.get("/dunning/templates/")

    assert response.status_code == 200
    rows = response.context["codes"]
    assert [(r["code"], [t.language for t in r["variants"]], r["main"].name) for r in rows] == [
        ("final_demand", ["de", "en", "fr"], "Final demand"),
        ("firm_reminder", ["de", "en", "fr"], "Firm reminder"),
        ("friendly_reminder", ["de", "en", "fr"], "Friendly reminder"),
        ("pre_agency", ["de", "en", "fr"], "Pre-agency notice"),
    ]
    assert "Copy en" in response.content.decode()


def test_the_list_costs_the_same_queries_with_more_variants(
    admin_client, admin, django_assert_num_queries
):
    admin_client.get("/dunning/templates/")  # session and permissions warmed up
    # 7: the navigation counts the credit inbox (credit/views.py navigation_entries)
    with django_assert_num_queries(7) as few:
        admin_client.get("/dunning/templates/")
    for template in DunningTemplate.objects.filter(language="en"):
        for language in ("it", "nl", "pt"):
            dunning.dunning_template_variant_create(
                actor=admin, template=template, language=language
            )

    with django_assert_num_queries(len(few.captured_queries)):
        response = admin_client.get("/dunning/templates/")

    assert [len(r["variants"]) for r in response.context["codes"]] == [6, 6, 6, 6]


@pytest.mark.parametrize("role", [roles.COLLECTOR, roles.CREDIT_MANAGER, roles.CFO, roles.FINANCE])
def test_everyone_but_an_admin_is_refused_the_editor(role, friendly):
    client = Client()
    client.force_login(user_in_role(role, "someone"))

    assert client.get("/dunning/templates/").status_code == 403
    assert client.get(f"/dunning/templates/{friendly.pk}/").status_code == 403


def test_the_edit_page_lists_the_documented_context_as_help(admin_client, friendly):
    response = admin_client.get(f"/dunning/templates/{friendly.pk}/")

    keys = [key for key, _ in response.context["context_help"]]
    assert keys == [
        "company",
        "customer",
        "contact",
        "level",
        "as_of",
        "groups",
        "totals",
        "invoice_count",
        "reminders",
        "reminder_dates",
        "small_balances",
        "charges",
        "|day, |amount:currency, |figure:currency",
    ]
    html = response.content.decode()
    for key in keys:
        assert f"<dt><code>{key}</code></dt>" in html
    assert 'class="code"' in html  # the monospace textarea


def test_the_edit_page_previews_the_saved_text_with_sample_data_when_nobody_is_overdue(
    admin_client, friendly
):
    response = admin_client.get(f"/dunning/templates/{friendly.pk}/")

    preview = response.context["preview"]
    assert preview["subject"] == "Friendly reminder — Sample Trading Ltd"
    assert "SMP-1001" in preview["srcdoc"]
    assert list(response.context["customers"]) == []
    html = response.content.decode()
    assert 'sandbox="" title="Letter preview" srcdoc="&lt;!doctype html&gt;' in html
    assert "lang=&quot;en&quot;" in html  # the whole document stays inside the attribute


def test_the_preview_customers_are_those_with_overdue_invoices(admin_client, friendly, acme):
    not_overdue = account(collector("cleo"), "Prompt Payers")
    overdue_invoice(not_overdue, "50.00", days_late=0)

    response = admin_client.get(f"/dunning/templates/{friendly.pk}/")

    assert list(response.context["customers"]) == [acme]


# Live preview


def test_the_live_preview_renders_the_unsaved_text_for_the_chosen_customer(
    admin_client, friendly, acme
):
    response = admin_client.post(
        f"/dunning/templates/{friendly.pk}/preview/",
        {
            "subject": "Hello {{ customer.name }}",
            "body": "<p>{{ invoice_count }} open: {% for g in groups %}{{ g.total }}{% endfor %}"
            "</p>",
            "customer": acme.pk,
        },
        **HTMX,
    )

    assert response.status_code == 200
    assert response.context["preview"]["subject"] == "Hello Acme Widgets"
    assert "<p>2 open: 200.00</p>" in response.context["preview"]["srcdoc"]
    assert "Attn. Ann Payable" in response.context["preview"]["srcdoc"]
    friendly.refresh_from_db()
    assert friendly.subject.startswith("Friendly reminder")  # nothing saved


def test_a_template_error_in_the_preview_names_the_problem_instead_of_failing(
    admin_client, friendly
):
    response = admin_client.post(
        f"/dunning/templates/{friendly.pk}/preview/",
        {"subject": "Hi", "body": "<p>{% if %}</p>"},
        **HTMX,
    )

    assert response.status_code == 200
    assert response.context["preview"] == {
        "error": "template error: line 1: Unexpected end of expression in if tag.",
        "error_field": "body",
    }
    assert "The body does not render" in response.content.decode()


def test_the_preview_cannot_show_a_customer_outside_the_users_portfolio(friendly):
    cora = collector("cora")
    cora.user_permissions.add(*_perm("change_dunningtemplate"))
    theirs = account(collector("cleo"), "Theirs Inc")
    overdue_invoice(theirs, "99.00", days_late=10, number="THEIRS-1")
    client = Client()
    client.force_login(cora)

    response = client.post(
        f"/dunning/templates/{friendly.pk}/preview/",
        {"subject": "x", "body": "{{ customer.name }}", "customer": theirs.pk},
    )

    assert response.status_code == 404


def _perm(codename: str):
    from django.contrib.auth.models import Permission

    return Permission.objects.filter(codename=codename)


# Save


def test_saving_goes_through_the_service_and_is_audited(admin_client, admin, friendly):
    response = admin_client.post(
        f"/dunning/templates/{friendly.pk}/",
        _form(
            friendly,
            name="Gentle reminder",
            subject="Reminder for {{ customer.name }}",
            body="<p>Please pay.</p>",
        ),
    )

    assert response.status_code == 302
    page = admin_client.get(response.url)
    assert "Saved Gentle reminder [en]." in page.content.decode()
    friendly.refresh_from_db()
    assert (friendly.name, friendly.subject, friendly.body, friendly.updated_by) == (
        "Gentle reminder",
        "Reminder for {{ customer.name }}",
        "<p>Please pay.</p>",
        admin,
    )
    assert AuditEntry.objects.filter(action="dunning.template").count() == 1


def test_a_template_that_does_not_compile_is_refused_whole_with_the_field_named(
    admin_client, friendly
):
    before = (friendly.name, friendly.subject, friendly.body)

    response = admin_client.post(
        f"/dunning/templates/{friendly.pk}/",
        _form(friendly, name="Renamed", body="<p>{% for x in %}</p>"),
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "body": [
            "template error: line 1: 'for' statements should have at least four words: for x in"
        ]
    }
    friendly.refresh_from_db()
    assert (friendly.name, friendly.subject, friendly.body) == before
    assert AuditEntry.objects.filter(action="dunning.template").count() == 0


def test_a_subject_that_does_not_compile_names_the_subject(admin_client, friendly):
    response = admin_client.post(
        f"/dunning/templates/{friendly.pk}/", _form(friendly, subject="Hi {% if %}")
    )

    assert list(response.context["form"].errors) == ["subject"]


# PDF preview


def test_the_pdf_preview_is_the_letter_then_the_statement_of_the_chosen_customer(
    admin_client, friendly, acme
):
    response = admin_client.post(
        f"/dunning/templates/{friendly.pk}/preview.pdf",
        _form(friendly, customer=acme.pk),
    )

    assert response["Content-Type"] == "application/pdf"
    text = _text(response.content)
    assert "Friendly reminder — Acme Widgets" in text
    assert "Statement of account" in text
    assert "Remittance slip" in text
    assert text.count("ACME-2") == 2  # in the letter and in the statement


def test_the_pdf_preview_without_a_customer_uses_the_sample(admin_client, friendly):
    response = admin_client.post(f"/dunning/templates/{friendly.pk}/preview.pdf", _form(friendly))

    text = _text(response.content)
    assert "Sample Trading Ltd" in text
    assert "1,560.40 USD" in text  # the sample's USD total, on the slip


def test_the_pdf_preview_of_a_broken_template_shows_the_editor_with_the_error(
    admin_client, friendly
):
    response = admin_client.post(
        f"/dunning/templates/{friendly.pk}/preview.pdf", _form(friendly, body="{% include 'x' %}")
    )

    assert response.status_code == 400
    assert response.context["form"].errors["body"] == [
        "template error: line 1: {% include %} is not available in dunning templates; "
        "they see only the context listed beside the editor"
    ]


# Language variants


def test_adding_a_language_variant_copies_the_template(admin_client, admin, friendly):
    response = admin_client.post(f"/dunning/templates/{friendly.pk}/variants/", {"language": "IT"})

    variant = DunningTemplate.objects.get(code="friendly_reminder", language="it")
    assert response.url == f"/dunning/templates/{variant.pk}/"
    assert (variant.name, variant.subject, variant.body, variant.updated_by) == (
        friendly.name,
        friendly.subject,
        friendly.body,
        admin,
    )
    assert AuditEntry.objects.get(action="dunning.template.variant").after == {
        "code": "friendly_reminder",
        "language": "it",
        "copied_from": friendly.pk,
    }


def test_a_duplicate_language_variant_is_refused(admin_client, friendly):
    response = admin_client.post(
        f"/dunning/templates/{friendly.pk}/variants/", {"language": "de"}, follow=True
    )

    assert "No variant added: friendly_reminder already has a de variant" in (
        response.content.decode()
    )
    assert DunningTemplate.objects.filter(code="friendly_reminder").count() == 3
    assert AuditEntry.objects.filter(action="dunning.template.variant").count() == 0


@pytest.mark.parametrize("language", ["", "french!", "x"])
def test_a_language_must_be_a_language_code(admin, friendly, language):
    with pytest.raises(ServiceError) as refused:
        dunning.dunning_template_variant_create(actor=admin, template=friendly, language=language)

    assert refused.value.field == "language"
    assert DunningTemplate.objects.filter(code="friendly_reminder").count() == 3


def test_only_an_editor_may_add_a_variant(friendly):
    with pytest.raises(ServiceError) as refused:
        dunning.dunning_template_variant_create(
            actor=collector("cora"), template=friendly, language="it"
        )

    assert refused.value.code == "forbidden"
    assert not DunningTemplate.objects.filter(language="it").exists()


# The sandbox


@pytest.mark.parametrize(
    "source, message",
    [
        (
            "{% include 'base.html' %}",
            "line 1: {% include %} is not available in dunning templates",
        ),
        (
            "{% extends 'base.html' %}",
            "line 1: {% extends %} is not available in dunning templates",
        ),
        ("{% load static %}", "line 1: {% load %} is not available in dunning templates"),
        ("{% load money %}", "line 1: {% load %} is not available in dunning templates"),
        ("\n\n{% debug %}", "line 3: {% debug %} is not available in dunning templates"),
        ("{% url 'home' %}", "line 1: {% url %} is not available in dunning templates"),
        ("{{ customer.name|safe }}", "the |safe filter is not available in dunning templates"),
        ("{{ customer.__class__ }}", "Variables and attributes may not begin with underscores"),
        ("<p>\n{% if %}</p>", "line 2: Unexpected end of expression in if tag."),
    ],
)
def test_a_template_cannot_reach_beyond_the_sandbox(admin, friendly, source, message):
    with pytest.raises(ServiceError) as refused:
        dunning.dunning_template_save(
            actor=admin, template=friendly, name="x", subject="x", body=source
        )

    assert refused.value.field == "body"
    assert message in refused.value.message
    friendly.refresh_from_db()
    assert friendly.body.startswith("<p>Dear")


def test_anything_beyond_the_documented_context_renders_nothing(acme):
    context = documents.customer_preview_context(acme, template_code="friendly_reminder")
    source = (
        "[{{ customer.pk }}][{{ customer.id }}][{{ customer.invoices }}][{{ customer.save }}]"
        "[{{ customer.assigned_collector }}][{{ customer.credit_limit }}][{{ contact.pk }}]"
        "[{{ level.policy }}][{{ settings.SECRET_KEY }}][{{ request.user }}]"
        "[{{ customer.contacts.all }}][{{ groups.0.invoices.0.invoice }}]"
    )

    rendered = documents.render_source(source, context)

    assert rendered == "[]" * 12


def test_a_rendering_error_names_its_line():
    with pytest.raises(ServiceError) as refused:
        documents.render_source("ok\n{{ invoice_count|divisibleby:0 }}", {"invoice_count": 3})

    assert refused.value.message.startswith("template error: line 2: ")
    assert refused.value.field == "body"


def test_customer_data_is_escaped_in_the_letter(admin):
    sneaky = account(collector("cora"), "<b>Evil</b> & Co")
    overdue_invoice(sneaky, "10.00", days_late=5)
    context = documents.customer_preview_context(sneaky, template_code="friendly_reminder")

    assert documents.render_source("{{ customer.name }}", context) == (
        "&lt;b&gt;Evil&lt;/b&gt; &amp; Co"
    )


def test_a_pdf_fetches_no_file_from_the_server(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    context = documents.sample_context()
    body = (
        f'<p>x</p><img src="file://{secret}"><a rel="attachment" href="file://{secret}">a</a>'
        f'<link rel="stylesheet" href="file://{secret}">'
    )

    pdf = documents.letter_pdf(subject="s", body=body, context=context)

    reader = PdfReader(io.BytesIO(pdf))
    assert reader.attachments == {}
    assert b"TOP-SECRET-VALUE" not in pdf
